"""``moose_lib.dmv2.olap_table`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "ClickHouseEngines", "Cols", "Column", "EngineConfig", "FailedRecord", "InsertOptions", "InsertResult",
    "LifeCycle", "Logger", "OlapConfig", "OlapTable", "RuntimeClickHouseConfig", "T", "TypedMooseResource",
    "ValidationError", "ValidationResult", "get_source_file_from_stack", "is_array_nested_type", "is_nested_type",
    "quote_identifier",
])
