"""The redpanda backend against a real Kafka-protocol broker (tansu, from the ``kafka_broker`` fixture)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from muskox.config import Config, RedpandaConfig
from muskox.errors import ConnectionFailed
from muskox.plugin.manager import Plugins
from muskox.testing.kafka import KafkaBroker
from muskox.testing.processes import free_port
from muskox_redpanda.backend import RedpandaBackend
from muskox_redpanda.connection import parse_kafka_url


def unique_topic() -> str:
    return f"muskox_test_{uuid.uuid4().hex[:10]}"


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())


@pytest.fixture
def backend(kafka_broker: KafkaBroker) -> Iterator[RedpandaBackend]:
    config = Config(redpanda_config=RedpandaConfig(broker=kafka_broker.bootstrap_servers))
    with RedpandaBackend.from_config(config) as backend:
        yield backend


def test_fixture_values(kafka_broker: KafkaBroker) -> None:
    assert kafka_broker.url == kafka_broker.bootstrap_servers == f"127.0.0.1:{kafka_broker.port}"
    assert kafka_broker.kafka_url == f"kafka://127.0.0.1:{kafka_broker.port}"


def test_plugin_registers_the_redpanda_backend() -> None:
    plugins = Plugins.load(env={})
    assert plugins.stream_backend("redpanda") is RedpandaBackend


def test_topic_life_cycle_through_the_admin_client(backend: RedpandaBackend) -> None:
    admin: AdminClient = backend.admin
    topic = unique_topic()
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=2, replication_factor=1, config={"retention.ms": "60000"})]
    )
    futures[topic].result(timeout=10)

    assert wait_for(lambda: topic in backend.list_topics())
    metadata = admin.list_topics(topic=topic, timeout=10)
    assert len(metadata.topics[topic].partitions) == 2

    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([resource])[resource].result(timeout=10)
    assert configs["retention.ms"].value == "60000"

    admin.delete_topics([topic])[topic].result(timeout=10)
    assert wait_for(lambda: topic not in backend.list_topics())


def test_list_topics_is_sorted_and_hides_internal_topics(backend: RedpandaBackend) -> None:
    names = [unique_topic(), unique_topic(), f"_muskox_internal_{uuid.uuid4().hex[:8]}"]
    futures = backend.admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names])
    for future in futures.values():
        future.result(timeout=10)
    try:
        assert wait_for(lambda: set(names[:2]) <= set(backend.list_topics()))
        topics = backend.list_topics()
        assert topics == sorted(topics)
        assert not [t for t in topics if t.startswith("_")]
    finally:
        for future in backend.admin.delete_topics(names).values():
            future.result(timeout=10)


def test_from_config_with_a_kafka_url(kafka_broker: KafkaBroker) -> None:
    topic = unique_topic()
    with RedpandaBackend.from_config(Config(), url=kafka_broker.kafka_url) as backend:
        backend.admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(10)
        assert wait_for(lambda: topic in backend.list_topics())
        backend.admin.delete_topics([topic])[topic].result(10)


def test_create_partitions_is_not_supported_by_tansu(backend: RedpandaBackend) -> None:
    """Documents the test broker's limit: topic operations that grow partitions need a real Kafka/Redpanda."""
    topic = unique_topic()
    backend.admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(10)
    try:
        from confluent_kafka.admin import NewPartitions

        with pytest.raises(KafkaException):
            backend.admin.create_partitions([NewPartitions(topic, 2)])[topic].result(10)
    finally:
        backend.admin.delete_topics([topic])[topic].result(10)


def test_unreachable_broker_fails_quickly_with_a_one_line_error() -> None:
    port = free_port()  # nothing listens here
    backend = RedpandaBackend(parse_kafka_url(f"kafka://alice:S3cr3tPw@127.0.0.1:{port}"), timeout=1.5)
    started = time.monotonic()
    with pytest.raises(ConnectionFailed) as info:
        backend.list_topics()
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message
    assert "S3cr3tPw" not in message
    assert "Fix: start the broker" in message
    assert "\n" not in message
    backend.close()
    backend.close()


def test_default_timeout_is_a_few_seconds() -> None:
    port = free_port()
    backend = RedpandaBackend.from_config(Config(redpanda_config=RedpandaConfig(broker=f"127.0.0.1:{port}")))
    started = time.monotonic()
    with pytest.raises(ConnectionFailed):
        backend.list_topics()
    assert time.monotonic() - started < 10


def test_rejected_credentials_are_reported_as_such() -> None:
    backend = RedpandaBackend(parse_kafka_url("kafka://alice:S3cr3tPw@h:1"))
    error = backend.connection_failed(KafkaException(KafkaError(KafkaError._AUTHENTICATION, "bad password")))
    assert "refused the credentials" in str(error)
    assert "sasl_password" in str(error)
    assert "S3cr3tPw" not in str(error)
