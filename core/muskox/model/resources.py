"""Views, materialized views and topics."""

from __future__ import annotations

import attrs

from muskox.model.table import LifeCycle, Metadata

RETENTION_MS = "retention.ms"
"""The broker's name of :attr:`Topic.retention_ms`."""
MAX_MESSAGE_BYTES = "max.message.bytes"
"""The broker's name of :attr:`Topic.max_message_bytes`."""


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
    """A Kafka/Redpanda topic. ``configs`` holds any other topic configuration (``cleanup.policy``, …).

    ``name`` is the physical topic name (``[<namespace>.]<name>[_<version>]``); it is also the map key.
    """

    name: str
    partitions: int = 1
    retention_ms: int | None = None
    max_message_bytes: int | None = None
    configs: dict[str, str] = attrs.field(factory=dict)
    version: str | None = None
    life_cycle: LifeCycle = LifeCycle.FULLY_MANAGED
    metadata: Metadata | None = None

    def managed_configs(self) -> dict[str, str]:
        """Every configuration value muskox manages, by the broker's key: ``retention.ms`` and
        ``max.message.bytes`` (when set) and ``configs``."""
        result: dict[str, str] = {}
        if self.retention_ms is not None:
            result[RETENTION_MS] = str(self.retention_ms)
        if self.max_message_bytes is not None:
            result[MAX_MESSAGE_BYTES] = str(self.max_message_bytes)
        result.update(self.configs)
        return result

    def with_managed_configs(self, configs: dict[str, str]) -> Topic:
        """This topic with exactly ``configs`` (broker keys; the reverse of :meth:`managed_configs`)."""
        rest = dict(configs)
        retention = _as_int(rest, RETENTION_MS)
        max_bytes = _as_int(rest, MAX_MESSAGE_BYTES)
        return attrs.evolve(self, retention_ms=retention, max_message_bytes=max_bytes,
                            configs=dict(sorted(rest.items())))


def normalize_topic(topic: Topic) -> Topic:
    """What a topic is on the broker: its name, partitions and configuration (lifecycle, version and metadata
    are muskox's rules and notes, not properties of the topic). The comparable form the differ and drift
    checks use."""
    canonical = topic.with_managed_configs(topic.managed_configs())
    return attrs.evolve(canonical, metadata=None, life_cycle=LifeCycle.FULLY_MANAGED, version=None)


def _as_int(configs: dict[str, str], key: str) -> int | None:
    """Take ``key`` out of ``configs`` as an integer; a value that is not one stays in ``configs``."""
    value = configs.get(key)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    del configs[key]
    return number
