"""``moose_lib.utilities.sql`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "clickhouse_param_type_for_value", "quote_identifier",
])
