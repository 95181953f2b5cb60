"""``moose_lib.dmv2.life_cycle`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "LifeCycle",
])
