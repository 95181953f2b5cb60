"""Topics through confluent-kafka's AdminClient: reading them into the model, and applying topic operations.

Introspection costs two admin requests whatever the number of topics: one metadata request (names and
partition counts) and one DescribeConfigs for every wanted topic at once. Each topic comes back with every
configuration value the broker reports; which keys muskox compares is decided when the state is reconciled
(the keys the code declares, and those it declared before), not here.

Applying an operation is one admin request; a refusal becomes one :class:`TopicOperationFailed` line naming
the operation, the broker's error code and its message. After a create or a delete, the backend waits until
the broker's metadata shows it, so the state recorded right after a migration sees the topics as they are.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.masking import mask_text
from muskox.model.operations import Operation
from muskox.model.resources import Topic
from muskox.model.topic_operations import CreateTopic, DropTopic, IncreaseTopicPartitions, ModifyTopicConfig

#: Seconds a create or delete may take to show in the broker's metadata.
VISIBILITY_TIMEOUT = 10.0


class TopicOperationFailed(MuskoxError):
    """The broker refused a topic operation (its error code and message are in the text)."""

    exit_code = ExitCode.APPLY_FAILED


def is_internal(name: str) -> bool:
    """Kafka's and Redpanda's own topics (``__consumer_offsets``, ``_schemas``, …) start with ``_``."""
    return name.startswith("_")


def introspect_topics(admin: Any, names: Collection[str] | None, timeout: float) -> dict[str, Topic]:
    """The wanted topics that exist (all non-internal ones when ``names`` is None), keyed by name.

    Raises ``confluent_kafka.KafkaException`` when the broker cannot be reached (the caller turns it into a
    connection error).
    """
    from confluent_kafka.admin import ConfigResource

    metadata = admin.list_topics(timeout=timeout)
    wanted = set(names) if names is not None else None
    found = {name: info for name, info in metadata.topics.items()
             if not is_internal(name) and info.error is None and (wanted is None or name in wanted)}
    if not found:
        return {}
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in sorted(found)]
    futures = admin.describe_configs(resources, request_timeout=timeout)
    topics: dict[str, Topic] = {}
    for resource, future in futures.items():
        entries: Mapping[str, Any] = future.result(timeout=timeout)
        configs = {key: str(entry.value) for key, entry in entries.items()
                   if entry.value is not None and not entry.is_sensitive}
        partitions = len(found[resource.name].partitions)
        topics[resource.name] = Topic(name=resource.name, partitions=partitions).with_managed_configs(configs)
    return dict(sorted(topics.items()))


def apply_topic_operation(admin: Any, operation: Operation, *, replication_factor: int,
                          default_retention_ms: int, timeout: float) -> None:
    """Apply one topic operation, waiting for its result; raises :class:`TopicOperationFailed` on a refusal."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions, NewTopic

    try:
        match operation:
            case CreateTopic(topic=topic):
                configs = topic.managed_configs()
                configs.setdefault("retention.ms", str(default_retention_ms))
                new = NewTopic(topic.name, num_partitions=topic.partitions, replication_factor=replication_factor,
                               config=configs)
                _wait(admin.create_topics([new], operation_timeout=timeout, request_timeout=timeout), timeout)
                _wait_for_metadata(admin, topic.name, present=True, timeout=timeout)
            case DropTopic(topic=name):
                _wait(admin.delete_topics([name], operation_timeout=timeout, request_timeout=timeout), timeout)
                _wait_for_metadata(admin, name, present=False, timeout=timeout)
            case ModifyTopicConfig(topic=name):
                entries = [ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
                           for key, value in operation.changed().items()]
                entries += [ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE)
                            for key in operation.removed()]
                if entries:
                    resource = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=entries)
                    _wait(admin.incremental_alter_configs([resource], request_timeout=timeout), timeout)
            case IncreaseTopicPartitions(topic=name, after_partitions=after):
                _wait(admin.create_partitions([NewPartitions(name, after)], operation_timeout=timeout,
                                              request_timeout=timeout), timeout)
            case _:
                raise TopicOperationFailed(f"the redpanda backend cannot apply {type(operation).__name__}",
                                           "report this as a bug: the operation was routed to the wrong backend")
    except KafkaException as exc:
        raise refused(operation, exc) from None


def refused(operation: Operation, exc: Exception) -> TopicOperationFailed:
    """One line for a broker's refusal: what was refused, the broker's error code and its message."""
    from confluent_kafka import KafkaError

    error = exc.args[0] if exc.args else None
    detail = (f"{error.name()}: {mask_text(error.str())}" if isinstance(error, KafkaError)
              else mask_text(str(exc)))
    return TopicOperationFailed(f"the Kafka broker refused to {_action(operation)} ({detail})")


def _action(operation: Operation) -> str:
    match operation:
        case CreateTopic(topic=topic):
            return f"create topic '{topic.name}'"
        case DropTopic(topic=name):
            return f"delete topic '{name}'"
        case ModifyTopicConfig(topic=name):
            return f"alter the configuration of topic '{name}'"
        case IncreaseTopicPartitions(topic=name, after_partitions=after):
            return f"grow topic '{name}' to {after} partitions"
    return operation.describe()


def _wait(futures: Mapping[Any, Any], timeout: float) -> None:
    for future in futures.values():
        future.result(timeout=timeout)


def _wait_for_metadata(admin: Any, name: str, *, present: bool, timeout: float) -> None:
    """Poll the broker's metadata until ``name`` is (or is no longer) listed; give up quietly after a while."""
    deadline = time.monotonic() + min(timeout, VISIBILITY_TIMEOUT)
    while True:
        topics = admin.list_topics(timeout=timeout).topics
        if (name in topics and topics[name].error is None) == present or time.monotonic() >= deadline:
            return
        time.sleep(0.1)
