"""``moose_lib.dmv2.web_app_helpers`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "ApiUtil", "get_moose_dependency", "get_moose_utils",
])
