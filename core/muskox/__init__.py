"""muskox: schema migrations for ClickHouse and Kafka/Redpanda, as a pluggable Python framework.

The public API is re-exported here; heavy modules are imported only when their names are first used, so
``import muskox`` (and the CLI's start-up) stays fast. The declaration API mirrors Moose's ``moose_lib``:
a Moose project ports by writing ``from muskox import OlapTable, OlapConfig, Key, ...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from muskox._version import __version__
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.lazy_exports import lazy_getattr
from muskox.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from muskox.declare import *  # noqa: F403

_DECLARE = "muskox.declare"
_DECLARED_NAMES = (
    "JWT", "AggregateFunction", "AggregatingMergeTreeEngine", "ClickHouseAlias", "ClickHouseCodec",
    "ClickHouseEngines", "ClickHouseJson", "ClickHouseMaterialized", "ClickHouseNamedTuple", "ClickHouseTTL",
    "ClickHouseType",
    "ClickhouseDecimal", "ClickhouseDefault", "ClickhouseFixedStringSize", "ClickhousePrecision", "ClickhouseSize",
    "CollapsingMergeTreeEngine", "Date16", "DeclarationError", "EngineConfig", "FixedString", "Float32", "Float64",
    "Int8", "Int16", "Int32", "Int64", "Int128", "Int256", "Key", "LifeCycle", "LineString", "LowCardinality",
    "MaterializedView", "MaterializedViewOptions", "MergeTreeEngine", "MultiLineString", "MultiPolygon",
    "OlapConfig", "OlapTable", "Point", "Polygon", "ReplacingMergeTreeEngine", "ReplicatedAggregatingMergeTreeEngine",
    "ReplicatedCollapsingMergeTreeEngine", "ReplicatedMergeTreeEngine", "ReplicatedReplacingMergeTreeEngine",
    "ReplicatedSummingMergeTreeEngine", "ReplicatedVersionedCollapsingMergeTreeEngine", "Ring",
    "SimpleAggregateFunction", "Stream", "StreamConfig", "SummingMergeTreeEngine", "TableIndex", "TableProjection",
    "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "UInt256", "VersionedCollapsingMergeTreeEngine", "View",
    "ViewConfig",
    "aggregated", "clickhouse_codec", "clickhouse_datetime64", "clickhouse_decimal", "clickhouse_default",
    "clickhouse_type", "collect_project", "simple_aggregated",
    "Api", "ApiConfig", "BufferEngine", "CacheLayout", "ClickHouseRemoteSource", "ComplexKeyCacheLayout",
    "ComplexKeyDirectLayout", "ComplexKeyHashedArrayLayout", "ComplexKeyHashedLayout",
    "ComplexKeySparseHashedLayout", "ComplexKeySsdCacheLayout", "ConsumerConfig", "ConsumptionApi",
    "DeadLetterQueue", "DictionaryColumn", "DictionaryInvalidation", "DictionaryLifetime", "DirectLayout",
    "DistributedEngine", "EgressConfig", "ExecutableSource", "FlatLayout", "HashedArrayLayout", "HashedLayout",
    "HttpSource", "IcebergS3Engine", "IngestApi", "IngestConfig", "IngestConfigWithDestination", "IngestPipeline",
    "IngestPipelineConfig", "IpTrieLayout", "KafkaEngine", "KafkaSchemaConfig", "MergeEngine", "MongoDbSource",
    "MysqlSource", "OlapDictionary", "OlapDictionaryConfig", "PostgresqlSource", "RangeHashedLayout", "RedisSource",
    "S3Engine", "S3QueueEngine", "S3Source", "SchemaById", "SparseHashedLayout", "SqlResource", "SsdCacheLayout",
    "SubjectLatest", "SubjectVersion", "Task", "TaskConfig", "TaskContext", "TransformConfig", "WebApp",
    "WebAppConfig", "WebAppMetadata", "Workflow", "WorkflowConfig",
)
_LAZY: dict[str, str] = dict.fromkeys(_DECLARED_NAMES, _DECLARE)
"""Public name → the module that defines it, imported on first use (PEP 562)."""

__all__ = ["ExitCode", "MuskoxError", "__version__", "hookimpl", *sorted(_LAZY)]


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    """Every public name, including the ones not imported yet."""
    return sorted(set(globals()) | set(_LAZY))
