"""``OlapTable[Event]("events", OlapConfig(...))``: a ClickHouse table declared from a schema class.

The columns are mapped and the configuration checked against them when the table is constructed, so a bad
declaration fails at import, naming the place, the table, the model and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from muskox.declare.engines import EngineConfig, IntegrationEngine, engine_config, hide_secret_settings
from muskox.declare.errors import DeclarationError
from muskox.declare.location import SourceLocation, caller_location, placed, prefix, runtime_only
from muskox.declare.moose_columns import Cols, Column, Columns, moose_columns
from muskox.declare.olap_config import OlapConfig, TableConstraint, TableIndex, TableProjection
from muskox.declare.registry import active_registry, display_base
from muskox.declare.schema import columns_of
from muskox.declare.typed import ModelTyped
from muskox.model import table as model
from muskox.model.engines import Engine, MergeTree
from muskox.model.recorded import RecordedResource, RecordedStatus
from muskox.model.table import LifeCycle, Metadata, SourceFile, version_suffix

T = TypeVar("T")

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def source_metadata(metadata: dict[str, Any] | None, location: SourceLocation | None,
                    project_dir: Path | None) -> Metadata | None:
    """``Metadata`` from a declaration's ``metadata`` dict and where it was declared (``source.file``)."""
    given = dict(metadata or {})
    description = given.get("description")
    source = given.get("source")
    file = source.get("file") if isinstance(source, dict) else None
    if file is None and location is not None:
        file = location.relative_file(project_dir)
    if description is None and file is None:
        return None
    return Metadata(description=None if description is None else str(description),
                    source=None if file is None else SourceFile(file=str(file)))


_DEFAULT_CONFIG = OlapConfig()
"""The default of ``OlapTable(config=...)`` as Moose shows it; each table gets its own copy."""


class OlapTable(ModelTyped[T], Generic[T]):
    """A ClickHouse table whose columns come from the schema class ``T`` (pydantic model, dataclass or attrs).

    ``name`` is the logical name; with ``OlapConfig(version="1.0")`` the physical table is ``name_1_0``.
    Tables whose engine reads or writes elsewhere (Kafka, S3Queue, …) are planned and applied like any other.
    """

    kind: str = "OlapTable"

    def __init__(self, name: str, config: OlapConfig = _DEFAULT_CONFIG, *, t: type[T] | None = None) -> None:
        self.location = caller_location()
        if config is _DEFAULT_CONFIG:
            config = OlapConfig()
        if not isinstance(name, str) or not name:
            raise DeclarationError(f"{self._here()}OlapTable: the name must be a non-empty string, got {name!r}",
                                   'write OlapTable[Model]("name", OlapConfig(...))')
        if t is None:
            raise DeclarationError(f"{self._here()}OlapTable {name!r}: no schema class",
                                   f'write OlapTable[Model]("{name}", ...)')
        if config is not None and not isinstance(config, OlapConfig):
            raise DeclarationError(f"{self._here()}OlapTable {name!r}: config must be an OlapConfig, "
                                   f"got {type(config).__name__}", "pass OlapConfig(...)")
        self.name = name
        self.config = config if config is not None else OlapConfig()
        self.model_type: type[T] = t
        self.metadata = self.config.metadata
        try:
            self.column_models: tuple[model.Column, ...] = columns_of(t)
            self.engine: EngineConfig = engine_config(self.config.engine, "OlapConfig.engine")
            self._check_against_columns()
        except DeclarationError as exc:
            raise placed(exc, self.location, display_base(), f"OlapTable {name!r}") from None
        registry = active_registry()
        if registry is not None:
            registry.add_table(self)

    def _here(self) -> str:
        """``"file:line: "`` of the declaration, for error messages."""
        return prefix(self.location, display_base())

    # -- names --------------------------------------------------------------------------------------------

    @property
    def physical_name(self) -> str:
        """The table's name in ClickHouse: ``name`` plus the version suffix (``events_1_0``)."""
        return self.name + version_suffix(self.config.version)

    def _generate_table_name(self) -> str:
        """Moose's name for :attr:`physical_name`."""
        return self.physical_name

    @property
    def cols(self) -> Cols:
        """The columns by name, for SQL text: ``f"SELECT {table.cols.id} FROM {table.name}"``."""
        return Cols(moose_columns(self.column_models))

    @property
    def columns(self) -> Columns:
        """Deprecated (Moose's first API; use :attr:`cols`): field names by attribute."""
        return Columns(self.model_type)

    @property
    def _column_list(self) -> list[Column]:
        """Moose's name for the columns as it describes them."""
        return moose_columns(self.column_models)

    def column_names(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self.column_models]

    # -- checks -------------------------------------------------------------------------------------------

    def _check_against_columns(self) -> None:
        by_name = _columns_by_name(self.column_models)
        model_name = getattr(self.model_type, "__name__", str(self.model_type))
        plain = [("OlapConfig.order_by_fields", f) for f in self.config.order_by_fields]
        for field in ("order_by_expression", "partition_by", "sample_by_expression", "primary_key_expression"):
            value = getattr(self.config, field)
            if value is not None:
                plain.append((f"OlapConfig.{field}", value.strip()))
        engine = type(self.engine).__name__
        plain += [(f"{engine}.{param}", column) for param, column in self.engine.column_references().items()]
        for field, value in plain:
            if value not in by_name and _PLAIN_NAME.match(value):
                names = self.column_names()
                raise DeclarationError(
                    f"{field}: {value!r} is not a column of {model_name}",
                    f"use one of {', '.join(names)}" if names else f"add fields to {model_name}",
                )
        order_by = self.order_by()
        nullable_keys_allowed = (self.config.settings or {}).get("allow_nullable_key") in ("1", "true", "True")
        for column_name in order_by if isinstance(order_by, tuple) else ():
            column = by_name.get(column_name)
            if column is None:
                continue
            if column.alias is not None:
                raise DeclarationError(f"ORDER BY: {model_name}.{column_name} is an ALIAS column",
                                       "sort by stored columns only")
            if column.nullable and not nullable_keys_allowed:
                raise DeclarationError(
                    f"ORDER BY: {model_name}.{column_name} is Optional (Nullable)",
                    'make the field required, or set settings={"allow_nullable_key": "1"}',
                )

    def order_by(self) -> tuple[str, ...] | str:
        """``order_by_expression``, else ``order_by_fields``, else the ``Key[...]`` columns (``()`` is ``tuple()``)."""
        return self._order_by(self.config)

    def _order_by(self, config: OlapConfig) -> tuple[str, ...] | str:
        if config.order_by_expression is not None:
            return config.order_by_expression
        if config.order_by_fields:
            return tuple(config.order_by_fields)
        if isinstance(self.engine, IntegrationEngine) and not self.engine.supports_order_by:
            return ()
        return tuple(c.name for c in self.column_models if c.primary_key)

    # -- the model ----------------------------------------------------------------------------------------

    def to_table(self, *, project_dir: Path | None = None) -> model.Table:
        """The table as a :class:`muskox.model.table.Table`; ``source.file`` is relative to ``project_dir``.

        ``settings`` are exactly the declared ones: muskox does not add the defaults the server reports for
        every MergeTree table (``index_granularity``, ``index_granularity_bytes``,
        ``enable_mixed_granularity_parts``, which Moose copies into its map); comparisons treat those as defaults.
        """
        table = self._model_table(self.config, project_dir, self.engine.to_engine())
        if isinstance(self.engine, IntegrationEngine) and self.engine.moose_name == "S3Queue":
            table.settings.setdefault("mode", "unordered")  # as Moose sets it (ClickHouse requires a mode)
        return table

    def _model_table(self, config: OlapConfig, project_dir: Path | None, engine: Engine) -> model.Table:
        return model.Table(
            name=self.physical_name,
            columns=self.column_models,
            engine=engine,
            database=config.database,
            order_by=self._order_by(config),
            partition_by=config.partition_by,
            primary_key_expression=config.primary_key_expression,
            sample_by=config.sample_by_expression,
            ttl=config.ttl,
            settings=dict(config.settings or {}),
            indexes=tuple(_index(i) for i in config.indexes),
            projections=tuple(_projection(p) for p in config.projections),
            constraints=tuple(model.TableConstraint(name=c.name, expression=c.expression, type=c.type)
                              for c in config.constraints),
            version=config.version,
            life_cycle=config.life_cycle or LifeCycle.FULLY_MANAGED,
            cluster=config.cluster,
            metadata=source_metadata(config.metadata, self.location, project_dir),
        )

    def to_recorded(self, *, project_dir: Path | None = None, default_database: str,
                    **_: Any) -> RecordedResource:
        """A table whose engine muskox does not apply yet, as Moose's infra map writes it (credentials hidden)."""
        engine = self.engine
        assert isinstance(engine, IntegrationEngine)
        placeholder = attrs.evolve(self.config, engine=None, order_by_fields=[], order_by_expression=None) \
            if not engine.supports_order_by else attrs.evolve(self.config, engine=None)
        table = attrs.evolve(self._model_table(placeholder, project_dir, MergeTree()), settings=hide_secret_settings(
            dict(self.config.settings or {}), mode_default=engine.moose_name == "S3Queue"))
        from muskox.declare.registry import declaring_codec
        from muskox.model.infra_map import moose_table_key

        value = declaring_codec().unstructure_table(table)
        value["engine"] = engine.moose_encoding()
        value["constraints"] = [_constraint(c) for c in self.config.constraints]
        return RecordedResource(section="tables", key=moose_table_key(table, default_database),
                                kind=f"{engine.moose_name} table", name=table.name,
                                status=RecordedStatus.NOT_YET, value=value)

    # -- what only the running application does -------------------------------------------------------------

    def insert(self, *_args: Any, **_kwargs: Any) -> Any:
        """Writes rows at run time; not available while muskox collects the declarations."""
        raise runtime_only("OlapTable.insert()")

    def validate_record(self, *_args: Any, **_kwargs: Any) -> Any:
        """Validates a row at run time; not available while muskox collects the declarations."""
        raise runtime_only("OlapTable.validate_record()")

    def validate_records(self, *_args: Any, **_kwargs: Any) -> Any:
        """Validates rows at run time; not available while muskox collects the declarations."""
        raise runtime_only("OlapTable.validate_records()")

    def close_client(self) -> None:
        """Closes the run-time client; there is none while muskox collects, so this does nothing."""

    def __repr__(self) -> str:
        return f"OlapTable[{getattr(self.model_type, '__name__', self.model_type)}]({self.name!r})"


_BY_NAME: dict[int, tuple[tuple[model.Column, ...], dict[str, model.Column]]] = {}


def _columns_by_name(columns: tuple[model.Column, ...]) -> dict[str, model.Column]:
    """``{name: column}``, computed once per columns tuple (the tables of one schema class share theirs)."""
    entry = _BY_NAME.get(id(columns))
    if entry is None or entry[0] is not columns:
        if len(_BY_NAME) >= 1024:
            _BY_NAME.clear()
        entry = _BY_NAME[id(columns)] = (columns, {c.name: c for c in columns})
    return entry[1]


def _constraint(constraint: TableConstraint) -> dict[str, str]:
    return {"name": constraint.name, "expression": constraint.expression, "type": constraint.type}


def _index(index: TableIndex) -> model.TableIndex:
    return model.TableIndex(name=index.name, expression=index.expression, type=index.type,
                            arguments=tuple(index.arguments), granularity=index.granularity)


def _projection(projection: TableProjection) -> model.TableProjection:
    return model.TableProjection(name=projection.name, body=projection.body)
