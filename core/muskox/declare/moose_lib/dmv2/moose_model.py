"""``moose_lib.dmv2.moose_model`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "ColsNamespace", "Column", "MooseModel", "MooseModelMeta",
])
