"""``moose_lib.dmv2.types`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "BaseTypedResource", "Cols", "Column", "Columns", "T", "T_none", "TypedMooseResource", "U", "U_none",
    "ZeroOrMany",
])
