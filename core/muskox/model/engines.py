"""Table engines: the MergeTree family as typed values, anything else passed through faithfully."""

from __future__ import annotations

import functools
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


HIDDEN = "[HIDDEN]"
"""What a credential is written as in every file and message (as Moose writes it)."""

#: The engines that read or write elsewhere, by Moose's name, with the fields that hold credentials.
INTEGRATION_SECRETS: dict[str, tuple[str, ...]] = {
    "Kafka": (), "S3Queue": ("aws_access_key_id", "aws_secret_access_key"),
    "S3": ("aws_access_key_id", "aws_secret_access_key"), "Buffer": (), "Distributed": (),
    "IcebergS3": ("aws_access_key_id", "aws_secret_access_key"), "Merge": (),
}


def _by_key(fields: tuple[tuple[str, object], ...]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(fields, key=lambda pair: pair[0]))


@attrs.frozen(kw_only=True)
class IntegrationEngine:
    """An engine that reads or writes elsewhere (Kafka, S3Queue, S3, Buffer, Distributed, IcebergS3, Merge), as
    Moose's infra map encodes it: its ``name`` and its ``fields`` in Moose's order. Credentials are real values
    in a map collected from code and :data:`HIDDEN` in a map read from a file or the database."""

    name: str
    fields: tuple[tuple[str, object], ...] = attrs.field(default=(), converter=_by_key)
    """``(field, value)`` pairs, sorted by field (files write them sorted too)."""

    def __attrs_post_init__(self) -> None:
        if self.name not in INTEGRATION_SECRETS:
            raise ValueError(f"{self.name!r} is not an integration engine; known: {', '.join(INTEGRATION_SECRETS)}")

    def field(self, name: str) -> object:
        """The value of field ``name`` (None when absent)."""
        return next((value for key, value in self.fields if key == name), None)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The fields that hold credentials."""
        return INTEGRATION_SECRETS[self.name]

    def masked(self) -> IntegrationEngine:
        """The engine with every credential that is set written as :data:`HIDDEN`."""
        return attrs.evolve(self, fields=tuple((key, HIDDEN if key in self.secrets and value is not None else value)
                                               for key, value in self.fields))


_SECRET_SETTING_WORDS = ("password", "secret", "access_key")


@functools.lru_cache(maxsize=4096)
def is_secret_setting(key: str) -> bool:
    """True for a table setting that holds a credential (``kafka_sasl_password``, ``s3_secret_access_key``, …).
    Remembered per key: thousands of tables repeat a few setting names."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_SETTING_WORDS)


def mask_settings(settings: dict[str, str]) -> dict[str, str]:
    """Table settings with every credential written as :data:`HIDDEN` (as files and messages show them)."""
    return {key: HIDDEN if is_secret_setting(key) else value for key, value in settings.items()}


MergeTreeEngine: TypeAlias = (
    MergeTree | ReplacingMergeTree | SummingMergeTree | AggregatingMergeTree | CollapsingMergeTree
    | VersionedCollapsingMergeTree
)
Engine: TypeAlias = MergeTreeEngine | OtherEngine | IntegrationEngine

MERGE_TREE_CLASSES: tuple[type, ...] = (
    MergeTree, ReplacingMergeTree, SummingMergeTree, AggregatingMergeTree, CollapsingMergeTree,
    VersionedCollapsingMergeTree,
)
ENGINE_CLASSES: tuple[type, ...] = (*MERGE_TREE_CLASSES, OtherEngine, IntegrationEngine)


def is_merge_tree(engine: Engine) -> bool:
    """True for every (Replicated) MergeTree-family engine."""
    return isinstance(engine, MERGE_TREE_CLASSES)


def engine_name(engine: Engine) -> str:
    """The engine's name, with ``Replicated`` prefix where it applies (also its tag in Moose's files)."""
    if isinstance(engine, (OtherEngine, IntegrationEngine)):
        return engine.name
    prefix = "Replicated" if engine.replication is not None else ""
    return prefix + type(engine).__name__
