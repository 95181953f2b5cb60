"""Table engine declarations (``OlapConfig(engine=...)``), named as in Moose, turned into model engines."""

from __future__ import annotations

import enum
import warnings

import attrs

from muskox.declare.errors import DeclarationError
from muskox.model import engines as model


@attrs.define
class EngineConfig:
    """Base class of every engine declaration."""

    def to_engine(self) -> model.Engine:
        """The engine as a :mod:`muskox.model.engines` value."""
        raise NotImplementedError

    def column_references(self) -> dict[str, str]:
        """``{parameter: column}`` for every parameter that must name a column of the table."""
        return {}

    def _replication(self) -> model.Replication | None:
        return None


@attrs.define
class MergeTreeEngine(EngineConfig):
    """``MergeTree()`` (the default engine)."""

    def to_engine(self) -> model.Engine:
        """``MergeTree``."""
        return model.MergeTree(replication=self._replication())


@attrs.define
class ReplacingMergeTreeEngine(EngineConfig):
    """``ReplacingMergeTree([ver[, is_deleted]])``: keeps the last row (or the highest ``ver``) per sorting key."""

    ver: str | None = None
    is_deleted: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.is_deleted and not self.ver:
            raise DeclarationError(f"{type(self).__name__}: is_deleted requires ver", "give ver=<version column>")

    def to_engine(self) -> model.Engine:
        """``ReplacingMergeTree``."""
        return model.ReplacingMergeTree(ver=self.ver, is_deleted=self.is_deleted, replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """``ver`` and ``is_deleted``."""
        return {k: v for k, v in (("ver", self.ver), ("is_deleted", self.is_deleted)) if v}


@attrs.define
class AggregatingMergeTreeEngine(EngineConfig):
    """``AggregatingMergeTree()``: merges aggregate-function states per sorting key."""

    def to_engine(self) -> model.Engine:
        """``AggregatingMergeTree``."""
        return model.AggregatingMergeTree(replication=self._replication())


@attrs.define
class SummingMergeTreeEngine(EngineConfig):
    """``SummingMergeTree([(columns)])``: sums numeric columns (or just ``columns``) per sorting key."""

    columns: list[str] | None = None

    def to_engine(self) -> model.Engine:
        """``SummingMergeTree``."""
        return model.SummingMergeTree(columns=tuple(self.columns or ()), replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """Every summed column."""
        return {f"columns[{i}]": c for i, c in enumerate(self.columns or ())}


@attrs.define
class CollapsingMergeTreeEngine(EngineConfig):
    """``CollapsingMergeTree(sign)``: rows with ``sign = -1`` cancel rows with ``sign = 1``."""

    sign: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.sign:
            raise DeclarationError(f"{type(self).__name__}: sign is required", "give sign=<Int8 column>")

    def to_engine(self) -> model.Engine:
        """``CollapsingMergeTree``."""
        return model.CollapsingMergeTree(sign=self.sign or "", replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """``sign``."""
        return {"sign": self.sign or ""}


@attrs.define
class VersionedCollapsingMergeTreeEngine(EngineConfig):
    """``VersionedCollapsingMergeTree(sign, ver)``."""

    sign: str | None = None
    ver: str | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("sign", "ver"):
            if not getattr(self, name):
                raise DeclarationError(f"{type(self).__name__}: {name} is required", f"give {name}=<column>")

    def to_engine(self) -> model.Engine:
        """``VersionedCollapsingMergeTree``."""
        return model.VersionedCollapsingMergeTree(sign=self.sign or "", ver=self.ver or "",
                                                  replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """``sign`` and ``ver``."""
        return {"sign": self.sign or "", "ver": self.ver or ""}


@attrs.define
class _Replicated(EngineConfig):
    """The Keeper path and replica name every ``Replicated*`` engine starts with (both or neither)."""

    keeper_path: str | None = None
    replica_name: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.keeper_path is None) != (self.replica_name is None):
            raise DeclarationError(f"{type(self).__name__}: keeper_path and replica_name go together",
                                   "give both, or neither to use the server's defaults")

    def _replication(self) -> model.Replication:
        return model.Replication(keeper_path=self.keeper_path, replica_name=self.replica_name)


@attrs.define
class ReplicatedMergeTreeEngine(_Replicated):
    """``ReplicatedMergeTree([keeper_path, replica_name])`` (omit both on ClickHouse Cloud)."""

    def to_engine(self) -> model.Engine:
        """``ReplicatedMergeTree``."""
        return model.MergeTree(replication=self._replication())


@attrs.define
class ReplicatedReplacingMergeTreeEngine(_Replicated):
    """``ReplicatedReplacingMergeTree([keeper_path, replica_name,] [ver[, is_deleted]])``."""

    ver: str | None = None
    is_deleted: str | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.is_deleted and not self.ver:
            raise DeclarationError(f"{type(self).__name__}: is_deleted requires ver", "give ver=<version column>")

    def to_engine(self) -> model.Engine:
        """``ReplicatedReplacingMergeTree``."""
        return model.ReplacingMergeTree(ver=self.ver, is_deleted=self.is_deleted, replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """``ver`` and ``is_deleted``."""
        return {k: v for k, v in (("ver", self.ver), ("is_deleted", self.is_deleted)) if v}


@attrs.define
class ReplicatedAggregatingMergeTreeEngine(_Replicated):
    """``ReplicatedAggregatingMergeTree([keeper_path, replica_name])``."""

    def to_engine(self) -> model.Engine:
        """``ReplicatedAggregatingMergeTree``."""
        return model.AggregatingMergeTree(replication=self._replication())


@attrs.define
class ReplicatedSummingMergeTreeEngine(_Replicated):
    """``ReplicatedSummingMergeTree([keeper_path, replica_name,] [(columns)])``."""

    columns: list[str] | None = None

    def to_engine(self) -> model.Engine:
        """``ReplicatedSummingMergeTree``."""
        return model.SummingMergeTree(columns=tuple(self.columns or ()), replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """Every summed column."""
        return {f"columns[{i}]": c for i, c in enumerate(self.columns or ())}


@attrs.define
class ReplicatedCollapsingMergeTreeEngine(_Replicated):
    """``ReplicatedCollapsingMergeTree([keeper_path, replica_name,] sign)``."""

    sign: str | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if not self.sign:
            raise DeclarationError(f"{type(self).__name__}: sign is required", "give sign=<Int8 column>")

    def to_engine(self) -> model.Engine:
        """``ReplicatedCollapsingMergeTree``."""
        return model.CollapsingMergeTree(sign=self.sign or "", replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """``sign``."""
        return {"sign": self.sign or ""}


@attrs.define
class ReplicatedVersionedCollapsingMergeTreeEngine(_Replicated):
    """``ReplicatedVersionedCollapsingMergeTree([keeper_path, replica_name,] sign, ver)``."""

    sign: str | None = None
    ver: str | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for name in ("sign", "ver"):
            if not getattr(self, name):
                raise DeclarationError(f"{type(self).__name__}: {name} is required", f"give {name}=<column>")

    def to_engine(self) -> model.Engine:
        """``ReplicatedVersionedCollapsingMergeTree``."""
        return model.VersionedCollapsingMergeTree(sign=self.sign or "", ver=self.ver or "",
                                                  replication=self._replication())

    def column_references(self) -> dict[str, str]:
        """``sign`` and ``ver``."""
        return {"sign": self.sign or "", "ver": self.ver or ""}


def has_explicit_replication(engine: EngineConfig) -> bool:
    """True for a ``Replicated*`` engine given an explicit ``keeper_path``/``replica_name``."""
    return isinstance(engine, _Replicated) and (engine.keeper_path is not None or engine.replica_name is not None)


class ClickHouseEngines(enum.Enum):
    """Deprecated engine names (Moose's first API); prefer the ``*Engine`` classes, which take parameters."""

    MergeTree = "MergeTree"
    ReplacingMergeTree = "ReplacingMergeTree"
    SummingMergeTree = "SummingMergeTree"
    AggregatingMergeTree = "AggregatingMergeTree"
    CollapsingMergeTree = "CollapsingMergeTree"
    VersionedCollapsingMergeTree = "VersionedCollapsingMergeTree"
    GraphiteMergeTree = "GraphiteMergeTree"
    S3Queue = "S3Queue"
    S3 = "S3"
    Buffer = "Buffer"
    Distributed = "Distributed"
    IcebergS3 = "IcebergS3"
    ReplicatedMergeTree = "ReplicatedMergeTree"
    ReplicatedReplacingMergeTree = "ReplicatedReplacingMergeTree"
    ReplicatedAggregatingMergeTree = "ReplicatedAggregatingMergeTree"
    ReplicatedSummingMergeTree = "ReplicatedSummingMergeTree"
    ReplicatedCollapsingMergeTree = "ReplicatedCollapsingMergeTree"
    ReplicatedVersionedCollapsingMergeTree = "ReplicatedVersionedCollapsingMergeTree"


_PARAMETERLESS: dict[str, type[EngineConfig]] = {
    "MergeTree": MergeTreeEngine, "ReplacingMergeTree": ReplacingMergeTreeEngine,
    "SummingMergeTree": SummingMergeTreeEngine, "AggregatingMergeTree": AggregatingMergeTreeEngine,
    "ReplicatedMergeTree": ReplicatedMergeTreeEngine,
    "ReplicatedReplacingMergeTree": ReplicatedReplacingMergeTreeEngine,
    "ReplicatedSummingMergeTree": ReplicatedSummingMergeTreeEngine,
    "ReplicatedAggregatingMergeTree": ReplicatedAggregatingMergeTreeEngine,
}


def engine_config(engine: EngineConfig | ClickHouseEngines | None, where: str) -> EngineConfig:
    """The declaration for ``OlapConfig.engine`` (None ⇒ MergeTree; enum values ⇒ their class, with a warning)."""
    if engine is None:
        return MergeTreeEngine()
    if isinstance(engine, EngineConfig):
        return engine
    if isinstance(engine, ClickHouseEngines):
        cls = _PARAMETERLESS.get(engine.value)
        if cls is None:
            needs = "parameters" if "Collapsing" in engine.value else "an engine muskox does not support yet"
            raise DeclarationError(f"{where}: ClickHouseEngines.{engine.value} needs {needs}",
                                   f"use {engine.value}Engine(...)" if "Collapsing" in engine.value
                                   else "use a MergeTree-family engine class")
        warnings.warn(f"{where}: ClickHouseEngines is deprecated; use engine={cls.__name__}()",
                      DeprecationWarning, stacklevel=4)
        return cls()
    raise DeclarationError(f"{where}: engine must be an engine class such as MergeTreeEngine(), "
                           f"got {type(engine).__name__}", "use one of the *Engine classes from muskox")
