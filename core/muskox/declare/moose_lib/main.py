"""``moose_lib.main`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "ApiResult", "Column", "ConsumptionApiResult", "CustomEncoder", "DataModelConfig", "EnhancedJSONEncoder",
    "JWTPayload", "MooseClient", "OlapTable", "Query", "QueryClient", "RuntimeClickHouseConfig", "Sql",
    "StorageConfig", "StreamingFunction", "WorkflowClient", "moose_data_model", "sigterm_handler",
])
