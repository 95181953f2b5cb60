"""``moose_lib.commons`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "CliLogData", "EnhancedJSONEncoder", "Logger", "cli_log", "get_kafka_consumer", "get_kafka_producer",
    "moose_management_port",
])
