"""``moose_lib`` as muskox provides it while it collects a Moose project (see :mod:`muskox.declare.moose_compat`).

Every public name of moose-lib 0.6.533's top level, including what it re-exports from the standard library
and other packages.
"""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "AggregateFunction", "AggregatingMergeTreeEngine", "AggregationCreateOptions", "AggregationDropOptions", "Api",
    "ApiConfig", "ApiResult", "ApiUtil", "ArrayType", "BaseTypedResource", "Blocks", "BufferEngine", "CacheLayout",
    "CliLogData", "ClickHouseAlias", "ClickHouseCodec", "ClickHouseEngines", "ClickHouseJson",
    "ClickHouseMaterialized", "ClickHouseRemoteSource", "ClickHouseTTL", "ClickhouseDefault",
    "ClickhouseFixedStringSize", "ClickhousePrecision", "ClickhouseSize", "CollapsingMergeTreeEngine", "Column",
    "ColumnRef", "Columns", "ComplexKeyCacheLayout", "ComplexKeyDirectLayout", "ComplexKeyHashedArrayLayout",
    "ComplexKeyHashedLayout", "ComplexKeySparseHashedLayout", "ComplexKeySsdCacheLayout", "ConsumerConfig",
    "ConsumptionApi", "ConsumptionApiResult", "CustomEncoder", "DataEnum", "DataModelConfig", "DataType",
    "DeadLetterModel", "DeadLetterQueue", "DictionaryColumn", "DictionaryInvalidation", "DictionaryLayout",
    "DictionaryLifetime", "DirectLayout", "DistributedEngine", "EgressConfig", "EngineConfig", "EnhancedJSONEncoder",
    "EnumValue", "ExecutableSource", "ExternalSource", "FixedString", "FlatLayout", "Float32", "Float64",
    "HashedArrayLayout", "HashedLayout", "HttpSource", "IcebergS3Engine", "IngestApi", "IngestConfig",
    "IngestConfigWithDestination", "IngestPipeline", "IngestPipelineConfig", "InsertOptions", "Int16", "Int32",
    "Int64", "Int8", "IpTrieLayout", "JWT", "JWTPayload", "JsonOptions", "KafkaEngine", "KafkaSchemaConfig", "Key",
    "LifeCycle", "LineString", "Logger", "MapType", "MaterializedView", "MaterializedViewCreateOptions",
    "MaterializedViewOptions", "MergeEngine", "MergeTreeEngine", "MongoDbSource", "MooseCache", "MooseClient",
    "MooseModel", "MultiLineString", "MultiPolygon", "MysqlSource", "NamedTupleType", "Nested", "OlapConfig",
    "OlapDictionary", "OlapDictionaryConfig", "OlapTable", "OrderDirection", "OrderExpr", "OrderItem", "Params",
    "Point", "Polygon", "PopulateTableOptions", "PostgresqlSource", "Predicate", "Query", "QueryClient",
    "RangeHashedLayout", "RedisSource", "ReplacingMergeTreeEngine", "ReplicatedAggregatingMergeTreeEngine",
    "ReplicatedCollapsingMergeTreeEngine", "ReplicatedMergeTreeEngine", "ReplicatedReplacingMergeTreeEngine",
    "ReplicatedSummingMergeTreeEngine", "ReplicatedVersionedCollapsingMergeTreeEngine", "Ring",
    "RuntimeClickHouseConfig", "S3Engine", "S3QueueEngine", "S3QueueEngineConfig", "S3Source", "SchemaById",
    "SimpleAggregateFunction", "SparseHashedLayout", "Sql", "SqlResource", "SsdCacheLayout", "StorageConfig",
    "Stream", "StreamConfig", "StreamingFunction", "StringToEnumMixin", "SubjectLatest", "SubjectVersion",
    "SummingMergeTreeEngine", "T", "T_none", "TableConfig", "TableCreateOptions", "Task", "TaskConfig",
    "TaskContext", "TransformConfig", "TypedMooseResource", "U", "UInt16", "UInt32", "UInt64", "UInt8", "U_none",
    "VersionedCollapsingMergeTreeEngine", "View", "ViewConfig", "WebApp", "WebAppConfig", "WebAppMetadata",
    "Workflow", "WorkflowClient", "WorkflowConfig", "ZeroOrMany", "aggregated", "and_", "cli_log",
    "clickhouse_datetime64", "clickhouse_decimal", "clickhouse_default", "clickhouse_param_type_for_value", "col",
    "config_registry", "create_aggregation", "create_materialized_view", "create_table", "drop_aggregation",
    "drop_table", "drop_view", "enum_value_serializer", "get_api", "get_apis", "get_consumption_api",
    "get_consumption_apis", "get_ingest_api", "get_ingest_apis", "get_kafka_consumer", "get_kafka_producer",
    "get_materialized_view", "get_materialized_views", "get_moose_base_url", "get_moose_dependency",
    "get_moose_utils", "get_olap_dictionaries", "get_olap_dictionary", "get_sql_resource", "get_sql_resources",
    "get_stream", "get_streams", "get_table", "get_tables", "get_view", "get_views", "get_web_app", "get_web_apps",
    "get_workflow", "get_workflows", "handle_annotation", "handle_jwt", "handle_key", "handle_optional",
    "is_array_nested_type", "is_nested_type", "is_new_config", "json_annotation_to_type", "migrate_legacy_config",
    "moose_data_model", "moose_management_port", "moose_runtime_env", "normalize_config", "or_", "populate_table",
    "py_type_to_column_type", "set_moose_base_url", "sigterm_handler", "simple_aggregated", "to_column",
], foreign=True)
