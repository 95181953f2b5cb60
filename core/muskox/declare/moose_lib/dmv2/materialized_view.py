"""``moose_lib.dmv2.materialized_view`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "BaseTypedResource", "ClickHouseEngines", "LifeCycle", "MaterializedView", "MaterializedViewOptions",
    "OlapConfig", "OlapTable", "T", "View", "get_source_file_from_stack",
])
