"""Views, materialized views and topics."""

from __future__ import annotations

import attrs

from muskox.model.table import LifeCycle, Metadata


@attrs.frozen(kw_only=True)
class View:
    """A plain view: ``CREATE VIEW name AS select_sql``."""

    name: str
    select_sql: str
    database: str | None = None
    source_tables: tuple[str, ...] = ()
    metadata: Metadata | None = None


@attrs.frozen(kw_only=True)
class MaterializedView:
    """A materialized view writing into ``target_table``: ``CREATE MATERIALIZED VIEW name TO target AS select``."""

    name: str
    select_sql: str
    target_table: str
    database: str | None = None
    target_database: str | None = None
    source_tables: tuple[str, ...] = ()
    life_cycle: LifeCycle = LifeCycle.FULLY_MANAGED
    metadata: Metadata | None = None


@attrs.frozen(kw_only=True)
class Topic:
    """A Kafka/Redpanda topic. ``configs`` holds any other topic configuration (``cleanup.policy``, …)."""

    name: str
    partitions: int = 1
    retention_ms: int | None = None
    max_message_bytes: int | None = None
    configs: dict[str, str] = attrs.field(factory=dict)
    version: str | None = None
    life_cycle: LifeCycle = LifeCycle.FULLY_MANAGED
    metadata: Metadata | None = None
