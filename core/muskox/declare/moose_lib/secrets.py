"""``moose_lib.secrets`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "MooseEnvSecrets", "MooseRuntimeEnv", "get", "moose_env_secrets", "moose_runtime_env",
])
