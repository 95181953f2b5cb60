"""``moose_lib.secrets`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "MOOSE_ENV_SECRET_PREFIX", "MOOSE_RUNTIME_ENV_PREFIX", "MooseEnvSecrets", "MooseRuntimeEnv", "get",
    "moose_env_secrets", "moose_runtime_env",
])
