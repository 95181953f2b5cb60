"""``OlapConfig``: how a table is stored (ordering, engine, version, lifecycle, settings, TTL, indexes, …).

Field names follow Moose's ``OlapConfig``; unknown fields are rejected, as Moose's ``extra="forbid"`` does.
Checks that need the table's columns (``order_by_fields`` naming real columns, …) run in ``OlapTable``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from muskox.declare.config_checks import config_class, optional_string, string_list, string_map
from muskox.declare.engines import ClickHouseEngines, EngineConfig, IntegrationEngine, has_explicit_replication
from muskox.declare.errors import DeclarationError
from muskox.model.table import LifeCycle


@config_class
@attrs.define(kw_only=True)
class TableIndex:
    """A data-skipping index: ``INDEX name expression TYPE type(arguments) GRANULARITY granularity``."""

    name: str
    expression: str
    type: str
    arguments: list[str] = attrs.field(factory=list)
    granularity: int = 1

    def _normalize(self) -> None:
        for field in ("name", "expression", "type"):
            optional_string(getattr(self, field), f"TableIndex.{field}")
        self.arguments = [str(a) for a in string_list(self.arguments, "TableIndex.arguments")]
        if not isinstance(self.granularity, int) or self.granularity < 1:
            raise DeclarationError(f"TableIndex {self.name!r}: granularity must be a positive integer, "
                                   f"got {self.granularity!r}", "use granularity=1 or more")


@config_class
@attrs.define(kw_only=True)
class TableProjection:
    """A projection: ``PROJECTION name (body)``, e.g. ``body="SELECT * ORDER BY kind"``."""

    name: str
    body: str

    def _normalize(self) -> None:
        for field in ("name", "body"):
            optional_string(getattr(self, field), f"TableProjection.{field}")


@config_class
@attrs.define(kw_only=True)
class TableConstraint:
    """A table constraint: ``CONSTRAINT name CHECK expression`` (checked on INSERT) or ``ASSUME expression``
    (an optimizer hint)."""

    name: str
    expression: str
    type: str

    def _normalize(self) -> None:
        for field in ("name", "expression"):
            optional_string(getattr(self, field), f"TableConstraint.{field}")
        if self.type not in ("CHECK", "ASSUME"):
            raise DeclarationError(f"TableConstraint {self.name!r}: type must be 'CHECK' or 'ASSUME', "
                                   f"got {self.type!r}", 'use type="CHECK" or type="ASSUME"')


@config_class
@attrs.define(kw_only=True)
class SeedFilter:
    """Which rows ``moose seed clickhouse`` copies into a local database (recorded; muskox does not seed)."""

    limit: int | None = None
    where: str | None = None


_Index = TableIndex
_Projection = TableProjection
_Constraint = TableConstraint
_SeedFilter = SeedFilter


@config_class
@attrs.define(kw_only=True)
class OlapConfig:
    """Table configuration, as Moose's ``OlapConfig``.

    ``order_by_fields`` (column names) and ``order_by_expression`` (one SQL expression, e.g. ``"tuple()"``)
    are exclusive; with neither, the ``Key[...]`` columns are the ORDER BY. ``ttl`` has no leading ``TTL``.
    ``version="1.0"`` makes the physical table ``<name>_1_0``.
    """

    TableIndex: ClassVar[type[_Index]] = _Index
    TableProjection: ClassVar[type[_Projection]] = _Projection
    TableConstraint: ClassVar[type[_Constraint]] = _Constraint
    SeedFilter: ClassVar[type[_SeedFilter]] = _SeedFilter

    order_by_fields: list[str] = attrs.field(factory=list)
    order_by_expression: str | None = None
    partition_by: str | None = None
    sample_by_expression: str | None = None
    primary_key_expression: str | None = None
    engine: EngineConfig | ClickHouseEngines | None = None
    version: str | None = None
    metadata: dict[str, Any] | None = None
    life_cycle: LifeCycle | None = None
    settings: dict[str, str] | None = None
    ttl: str | None = None
    cluster: str | None = None
    indexes: list[_Index] = attrs.field(factory=list)
    projections: list[_Projection] = attrs.field(factory=list)
    constraints: list[_Constraint] = attrs.field(factory=list)
    database: str | None = None
    seed_filter: _SeedFilter | None = None

    def _normalize(self) -> None:
        self.order_by_fields = string_list(self.order_by_fields, "OlapConfig.order_by_fields")
        for name in ("order_by_expression", "partition_by", "sample_by_expression", "primary_key_expression",
                     "version", "ttl", "cluster", "database"):
            value = getattr(self, name)
            if value is not None:
                optional_string(value, f"OlapConfig.{name}")  # checks; returns the value itself
        if self.order_by_fields and self.order_by_expression:
            raise DeclarationError("OlapConfig: order_by_fields and order_by_expression are exclusive",
                                   "give one of them")
        if self.ttl and self.ttl.lstrip().upper().startswith("TTL "):
            raise DeclarationError(f"OlapConfig.ttl: {self.ttl!r} starts with TTL", "leave out the leading TTL")
        if isinstance(self.life_cycle, str):
            self.life_cycle = _life_cycle(self.life_cycle)
        elif self.life_cycle is not None and not isinstance(self.life_cycle, LifeCycle):
            raise DeclarationError(f"OlapConfig.life_cycle: expected a LifeCycle, got {self.life_cycle!r}",
                                   "use LifeCycle.FULLY_MANAGED, DELETION_PROTECTED or EXTERNALLY_MANAGED")
        self.settings = string_map(self.settings, "OlapConfig.settings")
        if self.metadata is not None and not isinstance(self.metadata, dict):
            raise DeclarationError(f"OlapConfig.metadata: expected a dict, got {self.metadata!r}",
                                   'write metadata={"description": "..."}')
        self.indexes = [_coerce(TableIndex, i, "OlapConfig.indexes") for i in self.indexes]
        self.projections = [_coerce(TableProjection, p, "OlapConfig.projections") for p in self.projections]
        self.constraints = [_coerce(TableConstraint, c, "OlapConfig.constraints") for c in self.constraints]
        if isinstance(self.seed_filter, dict):
            self.seed_filter = SeedFilter(**self.seed_filter)
        self._check_engine_clauses()
        if self.cluster and self.engine is not None and isinstance(self.engine, EngineConfig) \
                and has_explicit_replication(self.engine):
            raise DeclarationError(
                "OlapConfig: cluster and an engine with explicit keeper_path/replica_name are exclusive",
                "give cluster= (replication paths are derived) or explicit keeper_path/replica_name, not both")


    def _check_engine_clauses(self) -> None:
        """Engines that read or write elsewhere take no ORDER BY, PARTITION BY, SAMPLE BY or projections (S3
        takes ORDER BY and PARTITION BY), as Moose checks."""
        if not isinstance(self.engine, IntegrationEngine):
            return
        engine = type(self.engine).__name__
        clauses = (
            ("ORDER BY", bool(self.order_by_fields or self.order_by_expression), self.engine.supports_order_by,
             "order_by_fields or order_by_expression"),
            ("PARTITION BY", bool(self.partition_by), self.engine.supports_partition_by, "partition_by"),
            ("SAMPLE BY", bool(self.sample_by_expression), self.engine.supports_sample_by, "sample_by_expression"),
            ("projections", bool(self.projections), self.engine.supports_projections, "projections"),
        )
        for clause, given, supported, fields in clauses:
            if given and not supported:
                raise DeclarationError(f"OlapConfig: {engine} does not support {clause}", f"remove {fields}")


def _life_cycle(value: str) -> LifeCycle:
    try:
        return LifeCycle(value)
    except ValueError:
        raise DeclarationError(f"OlapConfig.life_cycle: unknown lifecycle {value!r}",
                               f"use one of {', '.join(m.value for m in LifeCycle)}") from None


def _coerce(cls: type[Any], value: Any, where: str) -> Any:
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls(**value)
    raise DeclarationError(f"{where}: expected {cls.__name__}(...), got {value!r}", f"use OlapConfig.{cls.__name__}")
