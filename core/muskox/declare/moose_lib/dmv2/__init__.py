"""``moose_lib.dmv2`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "Api", "ApiConfig", "ApiUtil", "BaseTypedResource", "CacheLayout", "ClickHouseRemoteSource", "Columns",
    "ComplexKeyCacheLayout", "ComplexKeyDirectLayout", "ComplexKeyHashedArrayLayout", "ComplexKeyHashedLayout",
    "ComplexKeySparseHashedLayout", "ComplexKeySsdCacheLayout", "ConsumerConfig", "ConsumptionApi",
    "DeadLetterModel", "DeadLetterQueue", "DictionaryColumn", "DictionaryInvalidation", "DictionaryLayout",
    "DictionaryLifetime", "DirectLayout", "EgressConfig", "ExecutableSource", "ExternalSource", "FlatLayout",
    "HashedArrayLayout", "HashedLayout", "HttpSource", "IngestApi", "IngestConfig", "IngestConfigWithDestination",
    "IngestPipeline", "IngestPipelineConfig", "InsertOptions", "IpTrieLayout", "KafkaSchemaConfig", "LifeCycle",
    "MaterializedView", "MaterializedViewOptions", "MongoDbSource", "MooseModel", "MysqlSource", "OlapConfig",
    "OlapDictionary", "OlapDictionaryConfig", "OlapTable", "PostgresqlSource", "RangeHashedLayout", "RedisSource",
    "S3Source", "SchemaById", "SparseHashedLayout", "SqlResource", "SsdCacheLayout", "Stream", "StreamConfig",
    "SubjectLatest", "SubjectVersion", "T", "T_none", "Task", "TaskConfig", "TaskContext", "TransformConfig",
    "TypedMooseResource", "U", "U_none", "View", "ViewConfig", "WebApp", "WebAppConfig", "WebAppMetadata",
    "Workflow", "WorkflowConfig", "ZeroOrMany", "get_api", "get_apis", "get_consumption_api", "get_consumption_apis",
    "get_ingest_api", "get_ingest_apis", "get_materialized_view", "get_materialized_views", "get_moose_base_url",
    "get_moose_dependency", "get_moose_utils", "get_olap_dictionaries", "get_olap_dictionary", "get_sql_resource",
    "get_sql_resources", "get_stream", "get_streams", "get_table", "get_tables", "get_view", "get_views",
    "get_web_app", "get_web_apps", "get_workflow", "get_workflows", "set_moose_base_url",
])
