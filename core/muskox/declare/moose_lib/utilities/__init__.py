"""``moose_lib.utilities`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "StructuredLogContext", "setup_structured_logging",
])
