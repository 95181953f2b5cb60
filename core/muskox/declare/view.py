"""``View("name", ViewConfig(select_statement=..., base_tables=[...]))``: a plain ClickHouse view."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import attrs

from muskox.declare.config_checks import config_class, optional_string
from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, placed
from muskox.declare.olap_table import OlapTable, source_metadata
from muskox.declare.registry import active_registry, declaring_dialect, display_base
from muskox.model import resources as model


def table_reference(source: Any) -> str:
    """How a view names what it reads: `` `db`.`table` `` or `` `table` `` (physical names, version included),
    quoted by the declaring dialect."""
    if isinstance(source, str):
        return declaring_dialect().quote_identifier(source)
    if isinstance(source, OlapTable):
        name, database = source.physical_name, source.config.database
    elif isinstance(getattr(source, "name", None), str):
        name, database = source.name, getattr(source, "database", None)
    else:
        raise DeclarationError(f"cannot use {source!r} as a source table",
                               "list OlapTable, View or MaterializedView objects (or table names)")
    return declaring_dialect().qualified_name(database or None, name)


@config_class
@attrs.define(kw_only=True)
class ViewConfig:
    """What a view selects and from where (``base_tables`` are used for ordering, not parsed from the SQL)."""

    select_statement: str
    base_tables: list[Any] = attrs.field(factory=list)
    database: str | None = None
    metadata: dict[str, Any] | None = None

    def _normalize(self) -> None:
        optional_string(self.select_statement, "ViewConfig.select_statement")
        self.database = optional_string(self.database, "ViewConfig.database")
        self.base_tables = list(self.base_tables)


class View:
    """A ClickHouse view: ``CREATE VIEW name AS select_statement``."""

    metadata: dict[str, Any] | None
    kind: str = "View"

    def __init__(self, name: str, config_or_select: ViewConfig | str, base_tables: list[Any] | None = None,
                 database: str | None = None, metadata: dict[str, Any] | None = None) -> None:
        self.location = caller_location()
        try:
            if isinstance(config_or_select, str):
                warnings.warn("View(name, select_statement, base_tables) is deprecated; "
                              "use View(name, ViewConfig(select_statement=..., base_tables=...))",
                              DeprecationWarning, stacklevel=2)
                config_or_select = ViewConfig(select_statement=config_or_select, base_tables=base_tables or [],
                                              database=database, metadata=metadata)
            if not isinstance(config_or_select, ViewConfig):
                raise DeclarationError(f"expected a ViewConfig, got {type(config_or_select).__name__}",
                                       "pass ViewConfig(select_statement=..., base_tables=[...])")
            optional_string(name, "View name")
            self.source_tables = [table_reference(t) for t in config_or_select.base_tables]
        except DeclarationError as exc:
            raise placed(exc, self.location, display_base(), f"View {name!r}") from None
        self.name = name
        self.config = config_or_select
        self.database = config_or_select.database
        self.select_sql = config_or_select.select_statement
        self.metadata = config_or_select.metadata
        registry = active_registry()
        if registry is not None:
            registry.add_view(self)

    def to_view(self, *, project_dir: Path | None = None) -> model.View:
        """The view as a :class:`muskox.model.resources.View`."""
        return model.View(name=self.name, select_sql=self.select_sql, database=self.database,
                          source_tables=tuple(self.source_tables),
                          metadata=source_metadata(self.metadata, self.location, project_dir))

    def __repr__(self) -> str:
        return f"View({self.name!r})"
