"""``moose_lib.dmv2.web_app`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "WebApp", "WebAppConfig", "WebAppMetadata",
])
