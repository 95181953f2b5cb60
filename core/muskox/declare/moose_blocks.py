"""Moose's first table API (``moose_lib.blocks`` before the ``*Engine`` classes): option classes and the
functions that write plain DDL text. They only build strings; nothing is declared or run."""

from __future__ import annotations

import warnings
from typing import Any

import attrs

from muskox.declare.engines import (
    AggregatingMergeTreeEngine,
    ClickHouseEngines,
    EngineConfig,
    MergeTreeEngine,
    ReplacingMergeTreeEngine,
    S3QueueEngine,
    SummingMergeTreeEngine,
)


@attrs.define
class TableConfig:
    """A table for the DDL helpers: ``name``, ``columns`` (name → type), ``engine`` and ``order_by``."""

    engine: EngineConfig
    name: str
    columns: dict[str, str]
    order_by: str | None = None


@attrs.define
class S3QueueEngineConfig:
    """Deprecated S3Queue options (use :class:`S3QueueEngine`)."""

    path: str
    format: str
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    compression: str | None = None
    headers: dict[str, str] | None = None


@attrs.define
class TableCreateOptions:
    """Deprecated table options of :func:`create_table`."""

    name: str
    columns: dict[str, str]
    engine: ClickHouseEngines | None = ClickHouseEngines.MergeTree
    order_by: str | None = None
    s3_queue_engine_config: S3QueueEngineConfig | None = None

    def __attrs_post_init__(self) -> None:
        if self.engine == ClickHouseEngines.S3Queue and self.s3_queue_engine_config is None:
            raise ValueError("s3_queue_engine_config is required when the engine is ClickHouseEngines.S3Queue")


@attrs.define
class AggregationCreateOptions:
    """A table, a materialized view into it, and its first fill (:func:`create_aggregation`)."""

    table_create_options: TableCreateOptions
    materialized_view_name: str
    select: str


@attrs.define
class AggregationDropOptions:
    """What :func:`drop_aggregation` drops."""

    view_name: str
    table_name: str


@attrs.define
class MaterializedViewCreateOptions:
    """A materialized view for :func:`create_materialized_view`."""

    name: str
    destination_table: str
    select: str


@attrs.define
class PopulateTableOptions:
    """An ``INSERT INTO … SELECT`` for :func:`populate_table`."""

    destination_table: str
    select: str


@attrs.define
class Blocks:
    """SQL statements to set something up and to tear it down."""

    teardown: list[str]
    setup: list[str]


def is_new_config(config: Any) -> bool:
    """True for a :class:`TableConfig` or anything whose ``engine`` is an engine class."""
    return isinstance(config, TableConfig) or isinstance(getattr(config, "engine", None), EngineConfig)


def migrate_legacy_config(legacy: TableCreateOptions) -> TableConfig:
    """A deprecated :class:`TableCreateOptions` as a :class:`TableConfig`."""
    warnings.warn("TableCreateOptions is deprecated; use TableConfig with an engine class", DeprecationWarning,
                  stacklevel=2)
    engine: EngineConfig
    if legacy.engine == ClickHouseEngines.S3Queue and legacy.s3_queue_engine_config is not None:
        s3 = legacy.s3_queue_engine_config
        engine = S3QueueEngine(s3_path=s3.path, format=s3.format, aws_access_key_id=s3.aws_access_key_id,
                               aws_secret_access_key=s3.aws_secret_access_key, compression=s3.compression,
                               headers=s3.headers)
    else:
        engines: dict[Any, type[EngineConfig]] = {
            ClickHouseEngines.ReplacingMergeTree: ReplacingMergeTreeEngine,
            ClickHouseEngines.AggregatingMergeTree: AggregatingMergeTreeEngine,
            ClickHouseEngines.SummingMergeTree: SummingMergeTreeEngine,
        }
        engine = engines.get(legacy.engine, MergeTreeEngine)()
    return TableConfig(engine=engine, name=legacy.name, columns=legacy.columns, order_by=legacy.order_by)


def normalize_config(config: TableConfig | TableCreateOptions) -> TableConfig:
    """Any table options as a :class:`TableConfig`."""
    return config if isinstance(config, TableConfig) else migrate_legacy_config(config)
