"""``moose_lib.query_builder`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "Column", "ColumnRef", "IngestPipeline", "IngestPipelineConfig", "Key", "OlapTable", "OrderDirection",
    "OrderExpr", "OrderItem", "Params", "Predicate", "Query", "and_", "clickhouse_param_type_for_value", "col",
    "or_", "to_column",
])
