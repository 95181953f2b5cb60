"""``moose_lib.dmv2.stream`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "ConsumerConfig", "ConsumerEntry", "DeadLetterModel", "DeadLetterQueue", "KafkaSchemaConfig", "LifeCycle",
    "OlapTable", "RuntimeKafkaConfig", "SchemaById", "Stream", "StreamConfig", "SubjectLatest", "SubjectVersion",
    "T", "TransformConfig", "TransformEntry", "TypedMooseResource", "U", "ZeroOrMany", "config_registry",
    "get_kafka_producer",
])
