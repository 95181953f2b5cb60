"""Tables and columns: the shape of one ClickHouse table as code declares it or the server reports it."""

from __future__ import annotations

import enum

import attrs

from muskox.model.engines import Engine, MergeTree
from muskox.model.types import DataType, Nullable


class LifeCycle(enum.Enum):
    """What muskox may do to a resource (spec section 8.1)."""

    FULLY_MANAGED = "FULLY_MANAGED"
    """Create, change and drop it to match the code (the default)."""
    DELETION_PROTECTED = "DELETION_PROTECTED"
    """Create and change it, but never drop it or its columns."""
    EXTERNALLY_MANAGED = "EXTERNALLY_MANAGED"
    """Never touch it: someone else manages its schema."""


@attrs.frozen(kw_only=True, cache_hash=True)
class Column:
    """One column. ``default``, ``materialized`` and ``alias`` are mutually exclusive SQL expressions.

    Columns are compared and looked up by value many times per plan (normalization is cached per column), so
    the hash is computed once per instance.
    """

    name: str
    data_type: DataType
    nullable: bool = False
    primary_key: bool = False
    default: str | None = None
    materialized: str | None = None
    alias: str | None = None
    comment: str | None = None
    codec: str | None = None
    ttl: str | None = None
    unique: bool = False
    """Moose metadata only (always false there); never rendered."""

    def __attrs_post_init__(self) -> None:
        given = [k for k in ("default", "materialized", "alias") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"column {self.name!r} has {' and '.join(given)}; only one of them is allowed")
        if isinstance(self.data_type, Nullable):
            raise ValueError(f"column {self.name!r}: give nullable=True instead of a Nullable(...) data type")


@attrs.frozen(kw_only=True)
class TableIndex:
    """A data-skipping index: ``INDEX name expression TYPE type(arguments) GRANULARITY granularity``."""

    name: str
    expression: str
    type: str
    arguments: tuple[str, ...] = ()
    granularity: int = 1


@attrs.frozen(kw_only=True)
class TableProjection:
    """A projection: ``PROJECTION name (body)``."""

    name: str
    body: str


@attrs.frozen(kw_only=True)
class TableConstraint:
    """A table constraint: ``CONSTRAINT name CHECK expression`` (checked on insert) or ``ASSUME`` (a hint to the
    query optimizer, never checked)."""

    name: str
    expression: str
    type: str = "CHECK"


@attrs.frozen(kw_only=True)
class SourceFile:
    """Where a declaration was made."""

    file: str


@attrs.frozen(kw_only=True)
class Metadata:
    """Descriptive metadata, never compared."""

    description: str | None = None
    source: SourceFile | None = None


@attrs.frozen(kw_only=True)
class Table:
    """One table. ``order_by`` is either column names or one SQL expression (``"tuple()"``)."""

    name: str
    columns: tuple[Column, ...]
    engine: Engine = attrs.field(factory=MergeTree)
    database: str | None = None
    """None means the configured default database (``clickhouse_config.db_name``)."""
    order_by: tuple[str, ...] | str = ()
    partition_by: str | None = None
    primary_key_expression: str | None = None
    sample_by: str | None = None
    ttl: str | None = None
    settings: dict[str, str] = attrs.field(factory=dict)
    indexes: tuple[TableIndex, ...] = ()
    projections: tuple[TableProjection, ...] = ()
    constraints: tuple[TableConstraint, ...] = ()
    version: str | None = None
    life_cycle: LifeCycle = LifeCycle.FULLY_MANAGED
    cluster: str | None = None
    metadata: Metadata | None = None

    def column(self, name: str) -> Column | None:
        """The column called ``name``, if any."""
        return next((c for c in self.columns if c.name == name), None)


def version_suffix(version: str | None) -> str:
    """``"1.0"`` → ``"_1_0"``; None → ``""`` (Moose's physical-name suffix for versioned tables)."""
    return "" if not version else "_" + version.replace(".", "_")
