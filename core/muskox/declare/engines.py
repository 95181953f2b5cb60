"""Table engine declarations (``OlapConfig(engine=...)``), named as in Moose, turned into model engines."""

from __future__ import annotations

import enum
import warnings
from typing import Any, ClassVar

import attrs

from muskox.declare.errors import DeclarationError
from muskox.model import engines as model


@attrs.define
class EngineConfig:
    """Base class of every engine declaration."""

    applied: ClassVar[bool] = True
    """False for engines muskox records but does not plan or apply yet (see :class:`IntegrationEngine`)."""

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

    sign: str

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

    sign: str
    ver: str

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


HIDDEN = "[HIDDEN]"
"""What a credential is replaced with in the infra map (as Moose writes it)."""


@attrs.define
class IntegrationEngine(EngineConfig):
    """Base of the engines that read or write elsewhere (Kafka, S3, other tables): tables with them are planned
    and applied like any other; what ClickHouse cannot ALTER on them is a recreate."""

    moose_name: ClassVar[str] = ""
    """The engine's name in Moose's infra map (``S3Queue``, ``Kafka``, …)."""
    required: ClassVar[tuple[str, ...]] = ()
    """Parameters that must be non-empty."""
    secrets: ClassVar[tuple[str, ...]] = ()
    """Parameters written as ``[HIDDEN]`` in the infra map."""
    supports_order_by: ClassVar[bool] = False
    supports_partition_by: ClassVar[bool] = False
    supports_sample_by: ClassVar[bool] = False
    supports_projections: ClassVar[bool] = False

    def __attrs_post_init__(self) -> None:
        for name in self.required:
            if not getattr(self, name):
                raise DeclarationError(f"{type(self).__name__}: {name} is required", f"give {name}=...")

    def to_engine(self) -> model.Engine:
        """The engine as Moose encodes it, with its real credentials (files hide them)."""
        fields: list[tuple[str, object]] = []
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            fields.append((field.name, tuple(sorted(value.items())) if isinstance(value, dict) else value))
        return model.IntegrationEngine(name=self.moose_name, fields=tuple(fields))

    def moose_encoding(self) -> dict[str, Any]:
        """The engine as Moose's infra map writes it: ``{"S3Queue": {...}}``, credentials hidden."""
        fields = {a.name: getattr(self, a.name) for a in attrs.fields(type(self))}
        for name in self.secrets:
            if fields.get(name) is not None:
                fields[name] = HIDDEN
        return {self.moose_name: fields}


@attrs.define
class S3QueueEngine(IntegrationEngine):
    """``S3Queue(path, [credentials,] format[, compression][, headers])``: ingests files as they land in S3.

    Queue settings (``mode``, ``keeper_path``, …) go in ``OlapConfig.settings``."""

    moose_name: ClassVar[str] = "S3Queue"
    required: ClassVar[tuple[str, ...]] = ("s3_path", "format")
    secrets: ClassVar[tuple[str, ...]] = ("aws_access_key_id", "aws_secret_access_key")

    s3_path: str
    format: str
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    compression: str | None = None
    headers: dict[str, str] | None = None


@attrs.define
class S3Engine(IntegrationEngine):
    """``S3(path, [credentials,] format[, compression])``: a table stored as files in S3."""

    moose_name: ClassVar[str] = "S3"
    required: ClassVar[tuple[str, ...]] = ("path", "format")
    secrets: ClassVar[tuple[str, ...]] = ("aws_access_key_id", "aws_secret_access_key")
    supports_order_by: ClassVar[bool] = True
    supports_partition_by: ClassVar[bool] = True

    path: str
    format: str
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    compression: str | None = None
    partition_strategy: str | None = None
    partition_columns_in_data_file: str | None = None


@attrs.define
class BufferEngine(IntegrationEngine):
    """``Buffer(database, table, layers, min_time, max_time, min_rows, max_rows, min_bytes, max_bytes[, …])``:
    buffers writes in memory and flushes them to the target table."""

    moose_name: ClassVar[str] = "Buffer"
    required: ClassVar[tuple[str, ...]] = ("target_database", "target_table")

    target_database: str
    target_table: str
    num_layers: int
    min_time: int
    max_time: int
    min_rows: int
    max_rows: int
    min_bytes: int
    max_bytes: int
    flush_time: int | None = None
    flush_rows: int | None = None
    flush_bytes: int | None = None


@attrs.define
class DistributedEngine(IntegrationEngine):
    """``Distributed(cluster, database, table[, sharding_key[, policy_name]])``: a table spread over a cluster."""

    moose_name: ClassVar[str] = "Distributed"
    required: ClassVar[tuple[str, ...]] = ("cluster", "target_database", "target_table")

    cluster: str
    target_database: str
    target_table: str
    sharding_key: str | None = None
    policy_name: str | None = None


@attrs.define
class IcebergS3Engine(IntegrationEngine):
    """``IcebergS3(path, [credentials,] format[, compression])``: reads an Apache Iceberg table in S3."""

    moose_name: ClassVar[str] = "IcebergS3"
    required: ClassVar[tuple[str, ...]] = ("path", "format")
    secrets: ClassVar[tuple[str, ...]] = ("aws_access_key_id", "aws_secret_access_key")

    path: str
    format: str
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    compression: str | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.format not in ("Parquet", "ORC"):
            raise DeclarationError(f"IcebergS3Engine: format must be 'Parquet' or 'ORC', got {self.format!r}",
                                   'use format="Parquet" or format="ORC"')


@attrs.define
class KafkaEngine(IntegrationEngine):
    """``Kafka(broker_list, topic_list, group_name, format)``: consumes a topic; other Kafka settings go in
    ``OlapConfig.settings``."""

    moose_name: ClassVar[str] = "Kafka"
    required: ClassVar[tuple[str, ...]] = ("broker_list", "topic_list", "group_name", "format")

    broker_list: str
    topic_list: str
    group_name: str
    format: str


@attrs.define
class MergeEngine(IntegrationEngine):
    """``Merge(source_database, tables_regexp)``: reads every table whose name matches, read-only."""

    moose_name: ClassVar[str] = "Merge"
    required: ClassVar[tuple[str, ...]] = ("source_database", "tables_regexp")

    source_database: str
    tables_regexp: str


_SECRET_SETTING_WORDS = ("password", "secret", "access_key")


def hide_secret_settings(settings: dict[str, str], *, mode_default: bool = False) -> dict[str, str]:
    """Table settings as the infra map records them: credentials (``kafka_sasl_password``, …) as ``[HIDDEN]``;
    with ``mode_default`` (S3Queue), ``mode`` defaults to ``unordered`` as Moose sets it."""
    result = {key: HIDDEN if any(word in key.lower() for word in _SECRET_SETTING_WORDS) else value
              for key, value in settings.items()}
    if mode_default:
        result.setdefault("mode", "unordered")
    return result


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
    Kafka = "Kafka"
    Merge = "Merge"
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
            if engine is ClickHouseEngines.GraphiteMergeTree:
                raise DeclarationError(f"{where}: ClickHouseEngines.GraphiteMergeTree is not supported by muskox",
                                       "use a MergeTree-family engine class")
            raise DeclarationError(f"{where}: ClickHouseEngines.{engine.value} needs parameters",
                                   f"use {engine.value.removeprefix('Replicated')}Engine(...)"
                                   if not engine.value.startswith("Replicated") else f"use {engine.value}Engine(...)")
        warnings.warn(f"{where}: ClickHouseEngines is deprecated; use engine={cls.__name__}()",
                      DeprecationWarning, stacklevel=4)
        return cls()
    raise DeclarationError(f"{where}: engine must be an engine class such as MergeTreeEngine(), "
                           f"got {type(engine).__name__}", "use one of the *Engine classes from muskox")
