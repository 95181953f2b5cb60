"""Table engines as ClickHouse writes them after ``ENGINE =``: the one rendering, for DDL and for messages."""

from __future__ import annotations

import re

from muskox.model.engines import (
    CollapsingMergeTree,
    Engine,
    IntegrationEngine,
    OtherEngine,
    ReplacingMergeTree,
    SummingMergeTree,
    VersionedCollapsingMergeTree,
    engine_name,
)
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string

__all__ = ["engine_arguments", "render_engine"]

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""An engine name written without quotes."""


def engine_arguments(engine: Engine) -> list[str]:
    """The engine's arguments as SQL (column names quoted, strings quoted, a pass-through engine's as written)."""
    if isinstance(engine, OtherEngine):
        return [] if engine.arguments is None else [engine.arguments]
    if isinstance(engine, IntegrationEngine):
        from muskox_clickhouse.dialect.integration_engines import integration_arguments

        return integration_arguments(engine)
    args: list[str] = []
    if engine.replication is not None and engine.replication.keeper_path is not None:
        args += [quote_string(engine.replication.keeper_path),
                 quote_string(engine.replication.replica_name or "{replica}")]
    match engine:
        case ReplacingMergeTree(ver=ver, is_deleted=is_deleted):
            args += [quote_identifier(c) for c in (ver, is_deleted) if c is not None]
        case SummingMergeTree(columns=columns) if columns:
            args.append("(" + ", ".join(map(quote_identifier, columns)) + ")")
        case CollapsingMergeTree(sign=sign):
            args.append(quote_identifier(sign))
        case VersionedCollapsingMergeTree(sign=sign, ver=ver):
            args += [quote_identifier(sign), quote_identifier(ver)]
    return args


def render_engine(engine: Engine) -> str:
    """What follows ``ENGINE =`` in a CREATE TABLE statement: ``ReplacingMergeTree(`ver`)``, ``MergeTree``,
    ``Kafka('b', 't', 'g', 'JSON')`` (the one rendering, for DDL and for messages)."""
    name = engine_name(engine)
    name = name if _PLAIN_NAME.fullmatch(name) else quote_identifier(name)
    if isinstance(engine, OtherEngine):
        return name if engine.arguments is None else f"{name}({engine.arguments})"
    arguments = engine_arguments(engine)
    return f"{name}({', '.join(arguments)})" if arguments else name
