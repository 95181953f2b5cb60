"""Table engines: the MergeTree family as typed values, anything else passed through faithfully."""

from __future__ import annotations

from typing import TypeAlias

import attrs


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
    """The engine's name, with ``Replicated`` prefix where it applies (also its tag in Moose's files)."""
    if isinstance(engine, OtherEngine):
        return engine.name
    prefix = "Replicated" if engine.replication is not None else ""
    return prefix + type(engine).__name__
