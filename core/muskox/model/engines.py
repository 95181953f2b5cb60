"""Table engines: the MergeTree family as typed values, anything else passed through faithfully."""

from __future__ import annotations

import re
from typing import TypeAlias

import attrs

from muskox.dialect.quoting import quote_identifier, quote_string

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""An engine name written without quotes."""


@attrs.frozen(kw_only=True)
class Replication:
    """The ZooKeeper/Keeper path and replica name of a ``Replicated*MergeTree`` (both None ⇒ server defaults)."""

    keeper_path: str | None = None
    replica_name: str | None = None


@attrs.frozen(kw_only=True)
class MergeTree:
    """``MergeTree()``."""

    replication: Replication | None = None


@attrs.frozen(kw_only=True)
class ReplacingMergeTree:
    """``ReplacingMergeTree([ver[, is_deleted]])``."""

    ver: str | None = None
    is_deleted: str | None = None
    replication: Replication | None = None


@attrs.frozen(kw_only=True)
class SummingMergeTree:
    """``SummingMergeTree([(col, …)])``."""

    columns: tuple[str, ...] = ()
    replication: Replication | None = None


@attrs.frozen(kw_only=True)
class AggregatingMergeTree:
    """``AggregatingMergeTree()``."""

    replication: Replication | None = None


@attrs.frozen(kw_only=True)
class CollapsingMergeTree:
    """``CollapsingMergeTree(sign)``."""

    sign: str
    replication: Replication | None = None


@attrs.frozen(kw_only=True)
class VersionedCollapsingMergeTree:
    """``VersionedCollapsingMergeTree(sign, ver)``."""

    sign: str
    ver: str
    replication: Replication | None = None


@attrs.frozen(kw_only=True)
class OtherEngine:
    """Any other engine, kept as written: ``name`` and the text inside its parentheses (None: no parentheses)."""

    name: str
    arguments: str | None = None


MergeTreeEngine: TypeAlias = (
    MergeTree | ReplacingMergeTree | SummingMergeTree | AggregatingMergeTree | CollapsingMergeTree
    | VersionedCollapsingMergeTree
)
Engine: TypeAlias = MergeTreeEngine | OtherEngine

MERGE_TREE_CLASSES: tuple[type, ...] = (
    MergeTree, ReplacingMergeTree, SummingMergeTree, AggregatingMergeTree, CollapsingMergeTree,
    VersionedCollapsingMergeTree,
)
ENGINE_CLASSES: tuple[type, ...] = (*MERGE_TREE_CLASSES, OtherEngine)


def is_merge_tree(engine: Engine) -> bool:
    """True for every (Replicated) MergeTree-family engine."""
    return isinstance(engine, MERGE_TREE_CLASSES)


def engine_name(engine: Engine) -> str:
    """The ClickHouse engine name, with ``Replicated`` prefix where it applies."""
    if isinstance(engine, OtherEngine):
        return engine.name
    prefix = "Replicated" if engine.replication is not None else ""
    return prefix + type(engine).__name__


def engine_arguments(engine: Engine) -> list[str]:
    """The engine's arguments as SQL (column names quoted, strings quoted, a pass-through engine's as written)."""
    if isinstance(engine, OtherEngine):
        return [] if engine.arguments is None else [engine.arguments]
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
