"""``moose_lib.dmv2.consumption`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "Api", "ApiConfig", "BaseTypedResource", "ConsumptionApi", "EgressConfig", "T", "U", "get_moose_base_url",
    "set_moose_base_url",
])
