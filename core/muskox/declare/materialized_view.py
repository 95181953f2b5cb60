"""``MaterializedView[T](MaterializedViewOptions(...), target_table=...)``: an incremental materialized view.

The view writes into ``target_table`` (an ``OlapTable[T]``); without one, ``options.table_name`` declares it
(with ``options.engine`` and ``options.order_by_fields``), as Moose's older form does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from muskox.declare.config_checks import config_class, optional_string, string_list
from muskox.declare.engines import ClickHouseEngines, EngineConfig
from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, placed
from muskox.declare.olap_config import OlapConfig
from muskox.declare.olap_table import OlapTable, source_metadata
from muskox.declare.registry import active_registry, display_base
from muskox.declare.typed import ModelTyped
from muskox.declare.view import table_reference
from muskox.model import resources as model
from muskox.model.table import LifeCycle

T = TypeVar("T")


@config_class
@attrs.define(kw_only=True)
class MaterializedViewOptions:
    """What the view selects, from where, and its name (``table_name``/``engine``/``order_by_fields`` only
    when the target table is declared through the options)."""

    select_statement: str
    select_tables: list[Any] = attrs.field(factory=list)
    materialized_view_name: str
    table_name: str | None = None
    engine: EngineConfig | ClickHouseEngines | None = None
    order_by_fields: list[str] | None = None
    metadata: dict[str, Any] | None = None
    life_cycle: LifeCycle | None = None

    def _normalize(self) -> None:
        optional_string(self.select_statement, "MaterializedViewOptions.select_statement")
        optional_string(self.materialized_view_name, "MaterializedViewOptions.materialized_view_name")
        self.table_name = optional_string(self.table_name, "MaterializedViewOptions.table_name")
        self.select_tables = list(self.select_tables)
        if self.order_by_fields is not None:
            self.order_by_fields = string_list(self.order_by_fields, "MaterializedViewOptions.order_by_fields")
        if isinstance(self.life_cycle, str):
            self.life_cycle = LifeCycle(self.life_cycle)


class MaterializedView(ModelTyped[T], Generic[T]):
    """A ClickHouse materialized view: ``CREATE MATERIALIZED VIEW name TO target AS select_statement``."""

    life_cycle: LifeCycle | None
    metadata: dict[str, Any] | None
    kind: str = "MaterializedView"

    def __init__(self, options: MaterializedViewOptions, target_table: OlapTable[T] | None = None, *,
                 t: type[T] | None = None) -> None:
        self.location = caller_location()
        name = getattr(options, "materialized_view_name", "?")
        try:
            if not isinstance(options, MaterializedViewOptions):
                raise DeclarationError(f"expected MaterializedViewOptions, got {type(options).__name__}",
                                       "pass MaterializedViewOptions(...)")
            target = self._target(options, target_table, t)
            self.source_tables = [table_reference(s) for s in options.select_tables]
        except DeclarationError as exc:
            raise placed(exc, self.location, display_base(), f"MaterializedView {name!r}") from None
        self.name: str = options.materialized_view_name
        self.config = options
        self.target_table: OlapTable[T] = target
        self.select_sql = options.select_statement
        self.life_cycle = options.life_cycle
        self.metadata = options.metadata
        registry = active_registry()
        if registry is not None:
            registry.add_materialized_view(self)

    @staticmethod
    def _target(options: MaterializedViewOptions, target_table: OlapTable[T] | None,
                model_type: type[T] | None) -> OlapTable[T]:
        if target_table is not None:
            if not isinstance(target_table, OlapTable):
                raise DeclarationError(f"target_table must be an OlapTable, got {type(target_table).__name__}",
                                       "pass the OlapTable the view writes into")
            if model_type is not None and target_table.model_type is not model_type:
                raise DeclarationError(
                    f"the view's type {model_type.__name__} differs from its target table's "
                    f"{target_table.model_type.__name__}", "use the same schema class for both")
            if options.table_name is not None:
                raise DeclarationError("both target_table and options.table_name are given", "give only one")
            target = target_table
        else:
            if options.table_name is None:
                raise DeclarationError("no target table", "pass target_table=OlapTable[...] or options.table_name")
            if model_type is None:
                raise DeclarationError("no schema class for the target table",
                                       "write MaterializedView[Model](...)")
            target = OlapTable(options.table_name, OlapConfig(order_by_fields=options.order_by_fields or [],
                                                               engine=options.engine), t=model_type)
        if target.physical_name == options.materialized_view_name:
            raise DeclarationError("the view and its target table have the same name", "rename one of them")
        return target

    def to_materialized_view(self, *, project_dir: Path | None = None) -> model.MaterializedView:
        """The view as a :class:`muskox.model.resources.MaterializedView`."""
        return model.MaterializedView(
            name=self.name, select_sql=self.select_sql, target_table=self.target_table.physical_name,
            target_database=self.target_table.config.database, source_tables=tuple(self.source_tables),
            life_cycle=self.life_cycle or LifeCycle.FULLY_MANAGED,
            metadata=source_metadata(self.metadata, self.location, project_dir),
        )

    def __repr__(self) -> str:
        return f"MaterializedView({self.name!r})"
