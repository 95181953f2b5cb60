"""The redpanda backend's topic introspection and topic operations against a real broker (tansu)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

from muskox.config import Config, RedpandaConfig
from muskox.model.resources import Topic
from muskox.model.topic_operations import (
    TOPIC_OPERATIONS,
    CreateTopic,
    DropTopic,
    IncreaseTopicPartitions,
    ModifyTopicConfig,
)
from muskox.plugin.manager import Plugins
from muskox.testing.kafka import KafkaBroker
from muskox_redpanda.backend import RedpandaBackend
from muskox_redpanda.topics import TopicOperationFailed


def unique_topic() -> str:
    return f"muskox_ops_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def backend(kafka_broker: KafkaBroker) -> Iterator[RedpandaBackend]:
    config = Config(redpanda_config=RedpandaConfig(broker=kafka_broker.bootstrap_servers, retention_ms=45000))
    with RedpandaBackend.from_config(config) as backend:
        yield backend


class CountingAdmin:
    """Wraps an AdminClient and counts the requests made through it."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.admin, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)

        return call


def test_the_plugin_registers_the_topic_operations() -> None:
    operations = Plugins.load(env={}).operations()
    for name, cls in TOPIC_OPERATIONS.items():
        assert operations[name] is cls
        assert cls.backend == "stream"
    assert DropTopic.destructive and not CreateTopic.destructive


def test_create_modify_grow_and_drop(backend: RedpandaBackend) -> None:
    name = unique_topic()
    declared = Topic(name=name, partitions=2, retention_ms=60000, configs={"cleanup.policy": "compact"})
    backend.apply(CreateTopic(topic=declared))
    real = backend.introspect([name])[name]
    assert real.partitions == 2
    assert real.retention_ms == 60000
    assert real.configs["cleanup.policy"] == "compact"

    before = declared.managed_configs()
    after = {"retention.ms": "120000", "max.message.bytes": "2000000"}
    backend.apply(ModifyTopicConfig(topic=name, before_configs=before, after_configs=after))
    real = backend.introspect([name])[name]
    assert (real.retention_ms, real.max_message_bytes) == (120000, 2000000)
    assert "cleanup.policy" not in real.configs  # deleted: back to the broker's default (tansu reports none)

    backend.apply(DropTopic(topic=name))
    assert backend.introspect([name]) == {}
    assert name not in backend.list_topics()


def test_created_topics_without_a_retention_get_the_configured_default(backend: RedpandaBackend) -> None:
    name = unique_topic()
    backend.apply(CreateTopic(topic=Topic(name=name)))
    try:
        assert backend.introspect([name])[name].retention_ms == 45000
    finally:
        backend.apply(DropTopic(topic=name))


def test_introspection_takes_two_requests_whatever_the_number_of_topics(backend: RedpandaBackend) -> None:
    names = [unique_topic() for _ in range(12)]
    admin = backend.admin
    for future in admin.create_topics([NewTopic(n, num_partitions=1 + i % 3, replication_factor=1,
                                                config={"retention.ms": str(1000 * (i + 1))})
                                       for i, n in enumerate(names)]).values():
        future.result(10)
    try:
        counting = CountingAdmin(admin)
        backend._admin = counting
        topics = backend.introspect([*names, "missing_topic", "__consumer_offsets"])
        assert counting.calls == ["list_topics", "describe_configs"]
        assert sorted(topics) == sorted(names)
        for i, name in enumerate(names):
            assert topics[name].partitions == 1 + i % 3
            assert topics[name].retention_ms == 1000 * (i + 1)
        counting.calls.clear()
        assert backend.introspect([]) == {}
        assert counting.calls == ["list_topics"]
    finally:
        backend._admin = admin
        for future in admin.delete_topics(names).values():
            future.result(10)


def test_an_out_of_band_change_is_seen(backend: RedpandaBackend) -> None:
    name = unique_topic()
    backend.apply(CreateTopic(topic=Topic(name=name, retention_ms=60000)))
    try:
        resource = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=[
            ConfigEntry("retention.ms", "5000", incremental_operation=AlterConfigOpType.SET)])
        backend.admin.incremental_alter_configs([resource])[resource].result(10)
        assert backend.introspect([name])[name].retention_ms == 5000
    finally:
        backend.apply(DropTopic(topic=name))


def test_a_refused_operation_is_one_clean_line(backend: RedpandaBackend) -> None:
    """tansu has no CreatePartitions: the refusal names the operation and the broker's error, on one line."""
    name = unique_topic()
    backend.apply(CreateTopic(topic=Topic(name=name, partitions=1)))
    try:
        with pytest.raises(TopicOperationFailed) as info:
            backend.apply(IncreaseTopicPartitions(topic=name, before_partitions=1, after_partitions=3))
        message = str(info.value)
        assert message.startswith(f"the Kafka broker refused to grow topic '{name}' to 3 partitions (")
        assert "_UNSUPPORTED_FEATURE" in message
        assert "\n" not in message
        assert backend.introspect([name])[name].partitions == 1
    finally:
        backend.apply(DropTopic(topic=name))


def test_creating_an_existing_topic_is_refused(backend: RedpandaBackend) -> None:
    name = unique_topic()
    backend.apply(CreateTopic(topic=Topic(name=name)))
    try:
        with pytest.raises(TopicOperationFailed, match="TOPIC_ALREADY_EXISTS"):
            backend.apply(CreateTopic(topic=Topic(name=name)))
    finally:
        backend.apply(DropTopic(topic=name))
