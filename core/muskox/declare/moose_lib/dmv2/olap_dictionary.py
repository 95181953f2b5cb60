"""``moose_lib.dmv2.olap_dictionary`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "BaseTypedResource", "CacheLayout", "ClickHouseRemoteSource", "ComplexKeyCacheLayout", "ComplexKeyDirectLayout",
    "ComplexKeyHashedArrayLayout", "ComplexKeyHashedLayout", "ComplexKeySparseHashedLayout",
    "ComplexKeySsdCacheLayout", "DictionaryColumn", "DictionaryInvalidation", "DictionaryLayout",
    "DictionaryLifetime", "DirectLayout", "ExecutableSource", "ExternalSource", "FlatLayout", "HashedArrayLayout",
    "HashedLayout", "HttpSource", "IpTrieLayout", "LifeCycle", "MongoDbSource", "MysqlSource", "OlapDictionary",
    "OlapDictionaryConfig", "PostgresqlSource", "RangeHashedLayout", "RedisSource", "S3Source", "SparseHashedLayout",
    "SsdCacheLayout", "T", "get_source_file_from_stack",
])
