"""Which table changes ClickHouse cannot make with ``ALTER TABLE`` (spec 6.2): those recreate the table."""

from __future__ import annotations

from muskox.model.engines import IntegrationEngine, OtherEngine, is_merge_tree
from muskox.model.table import Table
from muskox_clickhouse.dialect.engine_sql import render_engine
from muskox_clickhouse.dialect.identifiers import identifiers
from muskox_clickhouse.dialect.normalize import READONLY_SETTING_DEFAULTS
from muskox_clickhouse.dialect.type_conversions import converts_by_copy
from muskox_clickhouse.dialect.type_text import render_type

__all__ = ["READONLY_SETTINGS", "can_copy_rows", "key_columns", "recreate_reason"]

#: Settings ClickHouse cannot change on an existing MergeTree table (changing one means recreating it).
READONLY_SETTINGS = frozenset(READONLY_SETTING_DEFAULTS)

#: Engines whose tables are recreated on any column or settings change (ClickHouse cannot ALTER them).
_RECREATE_ON_ANY_CHANGE = frozenset({"Kafka", "S3Queue", "S3", "IcebergS3"})


def _shown(table: Table) -> str:
    engine = table.engine
    return render_engine(engine.masked() if isinstance(engine, IntegrationEngine) else engine)


def recreate_reason(before: Table, after: Table) -> str | None:
    """The first rule that makes turning normalized ``before`` into normalized ``after`` a drop-and-create."""
    if before.order_by != after.order_by:
        return "ORDER BY changed"
    if before.partition_by != after.partition_by:
        return "PARTITION BY changed"
    if before.primary_key_expression != after.primary_key_expression:
        return "PRIMARY KEY changed"
    if before.engine != after.engine:
        return f"engine changed ({_shown(before)} → {_shown(after)})"
    key_change = _key_column_type_change(before, after)
    if key_change is not None:
        return key_change
    copied = _type_change_by_copy(before, after)
    if copied is not None:
        return copied
    readonly = sorted(k for k in READONLY_SETTINGS if before.settings.get(k) != after.settings.get(k))
    if readonly:
        return f"read-only setting(s) changed: {', '.join(readonly)}"
    if isinstance(after.engine, (OtherEngine, IntegrationEngine)) and after.engine.name in _RECREATE_ON_ANY_CHANGE \
            and (before.columns != after.columns or before.settings != after.settings):
        return f"{after.engine.name} tables cannot be altered"
    if isinstance(after.engine, IntegrationEngine) and before.settings != after.settings:
        return f"settings of a {after.engine.name} table cannot be altered"
    return None


def key_columns(table: Table) -> frozenset[str]:
    """The columns the sorting, primary, partition and sample keys of ``table`` name."""
    names: set[str] = set() if isinstance(table.order_by, str) else set(table.order_by)
    for expression in (table.order_by if isinstance(table.order_by, str) else None, table.primary_key_expression,
                       table.partition_by, table.sample_by):
        if expression:
            names |= identifiers(expression)
    return frozenset(names)


def _key_column_type_change(before: Table, after: Table) -> str | None:
    """ClickHouse refuses ``MODIFY COLUMN`` of a key column's type (``ALTER_OF_COLUMN_IS_FORBIDDEN``)."""
    for name in sorted(key_columns(before)):
        old, new = before.column(name), after.column(name)
        if old is None or new is None or (old.data_type, old.nullable) == (new.data_type, new.nullable):
            continue
        return f"type of key column {name} changed ({_type(old.data_type, old.nullable)} → " \
               f"{_type(new.data_type, new.nullable)})"
    return None


def _type_change_by_copy(before: Table, after: Table) -> str | None:
    """A column whose type the server refuses to ``MODIFY`` but whose values an ``INSERT … SELECT`` keeps (an
    unnamed ``Tuple`` gaining an element, :func:`~muskox_clickhouse.dialect.type_conversions.converts_by_copy`):
    the table is recreated with a copy of its rows, when it can be (else the column is dropped and added)."""
    for column in after.columns:
        old = before.column(column.name)
        if old is not None and converts_by_copy(old.data_type, column.data_type):
            if not can_copy_rows(before, after):
                return None
            return (f"type of column {column.name} changed ({_type(old.data_type, old.nullable)} → "
                    f"{_type(column.data_type, column.nullable)}), which ClickHouse cannot convert in place")
    return None


def _type(data_type: object, nullable: bool) -> str:
    text = render_type(data_type)  # type: ignore[arg-type]
    return f"Nullable({text})" if nullable else text


def can_copy_rows(before: Table, after: Table) -> bool:
    """Whether a recreated table can keep its rows (``RecreateTableWithCopy``): both MergeTree-family tables
    (other engines hold no rows of their own, or cannot take an ``INSERT … SELECT``), no explicit Keeper path
    (the copy would share it), and no cluster: the ``INSERT … SELECT`` runs on one node, which holds one shard's
    rows (``ON CLUSTER``: the other shards' rows would be lost without a word; ``per_node``: each replica would
    insert its rows again), so a cluster table is dropped and created instead, gated and flagged as data loss
    like any recreate without copy. A column whose type neither the server nor the copy converts
    (:func:`~muskox_clickhouse.dialect.type_conversions.conversion_sql`) is not copied: it gets its default, as a
    drop and add of the column would give it, and the plan flags ``type_change_data_loss``; the other columns keep
    their values."""
    if not (is_merge_tree(before.engine) and is_merge_tree(after.engine)):
        return False
    if before.cluster is not None or after.cluster is not None:
        return False
    replication = getattr(after.engine, "replication", None)
    return replication is None or replication.keeper_path is None
