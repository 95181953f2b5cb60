"""The declaration API: tables, views, materialized views and streams declared in Python, Moose-style.

A Moose project ports by changing ``from moose_lib import ...`` to ``from muskox import ...``; the names
below are re-exported lazily from :mod:`muskox`. :func:`collect_project` imports a project and returns the
declared target :class:`muskox.model.InfraMap`.
"""

from muskox.declare.annotations import (
    GEO_TYPES,
    JWT,
    AggregateFunction,
    ClickHouseAlias,
    ClickHouseCodec,
    ClickhouseDecimal,
    ClickhouseDefault,
    ClickhouseFixedStringSize,
    ClickHouseJson,
    ClickHouseMaterialized,
    ClickHouseNamedTuple,
    ClickhousePrecision,
    ClickhouseSize,
    ClickHouseTTL,
    Date16,
    FixedString,
    Float32,
    Float64,
    Int8,
    Int16,
    Int32,
    Int64,
    Int128,
    Int256,
    Key,
    LineString,
    LowCardinality,
    MultiLineString,
    MultiPolygon,
    Point,
    Polygon,
    Ring,
    SimpleAggregateFunction,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    UInt128,
    UInt256,
    aggregated,
    clickhouse_codec,
    clickhouse_datetime64,
    clickhouse_decimal,
    clickhouse_default,
    simple_aggregated,
)
from muskox.declare.collect import collect_project
from muskox.declare.engines import (
    AggregatingMergeTreeEngine,
    ClickHouseEngines,
    CollapsingMergeTreeEngine,
    EngineConfig,
    MergeTreeEngine,
    ReplacingMergeTreeEngine,
    ReplicatedAggregatingMergeTreeEngine,
    ReplicatedCollapsingMergeTreeEngine,
    ReplicatedMergeTreeEngine,
    ReplicatedReplacingMergeTreeEngine,
    ReplicatedSummingMergeTreeEngine,
    ReplicatedVersionedCollapsingMergeTreeEngine,
    SummingMergeTreeEngine,
    VersionedCollapsingMergeTreeEngine,
)
from muskox.declare.errors import DeclarationError
from muskox.declare.materialized_view import MaterializedView, MaterializedViewOptions
from muskox.declare.olap_config import OlapConfig, TableIndex, TableProjection
from muskox.declare.olap_table import OlapTable
from muskox.declare.registry import Registry, collecting
from muskox.declare.schema import columns_of
from muskox.declare.stream import Stream, StreamConfig
from muskox.declare.view import View, ViewConfig
from muskox.model.table import LifeCycle

__all__ = [
    "GEO_TYPES", "JWT", "AggregateFunction", "AggregatingMergeTreeEngine", "ClickHouseAlias", "ClickHouseCodec",
    "ClickHouseEngines", "ClickHouseJson", "ClickHouseMaterialized", "ClickHouseNamedTuple", "ClickHouseTTL",
    "ClickhouseDecimal", "ClickhouseDefault", "ClickhouseFixedStringSize", "ClickhousePrecision", "ClickhouseSize",
    "CollapsingMergeTreeEngine", "Date16", "DeclarationError", "EngineConfig", "FixedString", "Float32", "Float64",
    "Int8", "Int16", "Int32", "Int64", "Int128", "Int256", "Key", "LifeCycle", "LineString", "LowCardinality",
    "MaterializedView", "MaterializedViewOptions", "MergeTreeEngine", "MultiLineString", "MultiPolygon",
    "OlapConfig", "OlapTable", "Point", "Polygon", "Registry", "ReplacingMergeTreeEngine",
    "ReplicatedAggregatingMergeTreeEngine", "ReplicatedCollapsingMergeTreeEngine", "ReplicatedMergeTreeEngine",
    "ReplicatedReplacingMergeTreeEngine", "ReplicatedSummingMergeTreeEngine",
    "ReplicatedVersionedCollapsingMergeTreeEngine", "Ring", "SimpleAggregateFunction", "Stream", "StreamConfig",
    "SummingMergeTreeEngine",
    "TableIndex", "TableProjection", "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "UInt256",
    "VersionedCollapsingMergeTreeEngine", "View", "ViewConfig", "aggregated", "clickhouse_codec",
    "clickhouse_datetime64", "clickhouse_decimal", "clickhouse_default", "collect_project", "collecting",
    "columns_of", "simple_aggregated",
]
