"""``moose_lib.blocks`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "AggregatingMergeTreeEngine", "AggregationCreateOptions", "AggregationDropOptions", "Blocks", "BufferEngine",
    "ClickHouseEngines", "CollapsingMergeTreeEngine", "DistributedEngine", "EngineConfig", "IcebergS3Engine",
    "KafkaEngine", "MaterializedViewCreateOptions", "MergeEngine", "MergeTreeEngine", "PopulateTableOptions",
    "ReplacingMergeTreeEngine", "ReplicatedAggregatingMergeTreeEngine", "ReplicatedCollapsingMergeTreeEngine",
    "ReplicatedMergeTreeEngine", "ReplicatedReplacingMergeTreeEngine", "ReplicatedSummingMergeTreeEngine",
    "ReplicatedVersionedCollapsingMergeTreeEngine", "S3Engine", "S3QueueEngine", "S3QueueEngineConfig",
    "SummingMergeTreeEngine", "TableConfig", "TableCreateOptions", "VersionedCollapsingMergeTreeEngine",
    "create_aggregation", "create_materialized_view", "create_table", "drop_aggregation", "drop_table", "drop_view",
    "is_new_config", "migrate_legacy_config", "normalize_config", "populate_table",
])
