"""``moose_lib.dmv2.sql_resource`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "MaterializedView", "OlapTable", "SqlResource", "View", "get_source_file_from_stack",
])
