"""``moose_lib.dmv2.view`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "OlapTable", "View", "ViewConfig", "get_source_file_from_stack",
])
