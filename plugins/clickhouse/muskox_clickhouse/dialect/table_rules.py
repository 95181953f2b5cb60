"""Which table changes ClickHouse cannot make with ``ALTER TABLE`` (spec 6.2): those recreate the table."""

from __future__ import annotations

from muskox.model.engines import OtherEngine
from muskox.model.table import Table
from muskox_clickhouse.dialect.engine_sql import render_engine
from muskox_clickhouse.dialect.normalize import READONLY_SETTING_DEFAULTS

__all__ = ["READONLY_SETTINGS", "recreate_reason"]

#: Settings ClickHouse cannot change on an existing MergeTree table (changing one means recreating it).
READONLY_SETTINGS = frozenset(READONLY_SETTING_DEFAULTS)

#: Engines whose tables are recreated on any column or settings change.
_RECREATE_ON_ANY_CHANGE = frozenset({"Kafka", "S3Queue"})


def recreate_reason(before: Table, after: Table) -> str | None:
    """The first rule that makes turning normalized ``before`` into normalized ``after`` a drop-and-create."""
    if before.order_by != after.order_by:
        return "ORDER BY changed"
    if before.partition_by != after.partition_by:
        return "PARTITION BY changed"
    if before.primary_key_expression != after.primary_key_expression:
        return "PRIMARY KEY changed"
    if before.engine != after.engine:
        return f"engine changed ({render_engine(before.engine)} → {render_engine(after.engine)})"
    readonly = sorted(k for k in READONLY_SETTINGS if before.settings.get(k) != after.settings.get(k))
    if readonly:
        return f"read-only setting(s) changed: {', '.join(readonly)}"
    if isinstance(after.engine, OtherEngine) and after.engine.name in _RECREATE_ON_ANY_CHANGE and (
            before.columns != after.columns or before.settings != after.settings):
        return f"{after.engine.name} tables cannot be altered"
    return None
