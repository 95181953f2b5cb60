"""Table engines: the MergeTree family as typed values, anything else passed through faithfully."""

from __future__ import annotations

from typing import TypeAlias

import attrs

from muskox.quoting import quote_string


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
    """The engine's arguments as SQL text (identifiers as written, strings quoted)."""
    if isinstance(engine, OtherEngine):
        return [] if engine.arguments is None else [engine.arguments]
    args: list[str] = []
    if engine.replication is not None and engine.replication.keeper_path is not None:
        args += [quote_string(engine.replication.keeper_path), quote_string(engine.replication.replica_name or "")]
    match engine:
        case ReplacingMergeTree(ver=ver, is_deleted=is_deleted):
            args += [a for a in (ver, is_deleted) if a is not None]
        case SummingMergeTree(columns=columns) if columns:
            args.append("(" + ", ".join(columns) + ")")
        case CollapsingMergeTree(sign=sign):
            args.append(sign)
        case VersionedCollapsingMergeTree(sign=sign, ver=ver):
            args += [sign, ver]
    return args


def render_engine(engine: Engine) -> str:
    """``Name(args)`` as it follows ``ENGINE =`` in a CREATE TABLE statement."""
    if isinstance(engine, OtherEngine) and engine.arguments is None:
        return engine.name
    return f"{engine_name(engine)}({', '.join(engine_arguments(engine))})"
