"""``moose_lib.config.config_file`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "ClickHouseConfig", "KafkaConfig", "ProjectConfig", "find_config_file", "read_project_config",
])
