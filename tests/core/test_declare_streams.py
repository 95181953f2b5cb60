"""Declaring streams: ``Stream[T](name, StreamConfig(...))`` becomes a topic of the target map."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel

from muskox import LifeCycle, OlapTable, Stream, StreamConfig
from muskox.declare import DeclarationError, Registry, collect_project, collecting
from muskox.model.resources import Topic
from tests.keys import moose_keys


class Event(BaseModel):
    id: str
    n: int


def write_project(project: Path, body: str) -> Path:
    (project / "app").mkdir(parents=True, exist_ok=True)
    header = "from pydantic import BaseModel\nfrom muskox import *\n\n" \
             "class Event(BaseModel):\n    id: Key[str]\n    n: int\n\n"
    (project / "app" / "main.py").write_text(header + textwrap.dedent(body))
    return project


def test_defaults_follow_moose() -> None:
    config = StreamConfig()
    assert (config.parallelism, config.retention_period, config.destination, config.version) == (1, 604800, None,
                                                                                                  None)
    topic = Stream[Event]("events").to_topic()
    assert topic == Topic(name="events", partitions=1, retention_ms=604_800_000, configs={},
                          life_cycle=LifeCycle.FULLY_MANAGED, metadata=topic.metadata)


def test_every_field_reaches_the_topic() -> None:
    stream = Stream[Event]("events", StreamConfig(
        parallelism=3, retention_period=3600, version="1.0", life_cycle=LifeCycle.DELETION_PROTECTED,
        configs={"cleanup.policy": "compact", "max.message.bytes": "2097152"}))
    topic = stream.to_topic()
    assert topic.name == "events_1_0" == stream.topic_name()
    assert (topic.partitions, topic.retention_ms, topic.max_message_bytes) == (3, 3_600_000, 2_097_152)
    assert topic.configs == {"cleanup.policy": "compact"}
    assert topic.version == "1.0" and topic.life_cycle is LifeCycle.DELETION_PROTECTED
    assert topic.managed_configs() == {"retention.ms": "3600000", "max.message.bytes": "2097152",
                                       "cleanup.policy": "compact"}


def test_namespace_prefixes_the_physical_name() -> None:
    stream = Stream[Event]("events", StreamConfig(version="2"))
    assert stream.topic_name("prod") == stream._build_full_topic_name("prod") == "prod.events_2"
    assert stream.to_topic(namespace="prod").name == "prod.events_2"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"parallelism": 0}, "StreamConfig.parallelism: expected a positive integer"),
    ({"retention_period": "7d"}, "StreamConfig.retention_period: expected a positive integer"),
    ({"configs": {"retention.ms": "1"}}, "'retention.ms' is set through retention_period"),
    ({"configs": {"max.message.bytes": "big"}}, "'max.message.bytes' must be a number of bytes"),
    ({"life_cycle": "SOMETIMES"}, "unknown lifecycle 'SOMETIMES'"),
    ({"destination": "events"}, "StreamConfig.destination: expected an OlapTable"),
    ({"parallelisms": 2}, "unknown field 'parallelisms' (did you mean 'parallelism'?)"),
])
def test_bad_configs_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DeclarationError) as info:
        StreamConfig(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert "test_declare_streams.py:" in str(info.value)


def test_bad_names_are_refused() -> None:
    with pytest.raises(DeclarationError, match="not a valid Kafka topic name"):
        Stream[Event]("my events")
    with pytest.raises(DeclarationError, match="no schema class"):
        Stream("events")


def test_destination_is_an_olap_table() -> None:
    table = OlapTable[Event]("events")
    stream = Stream[Event]("events", StreamConfig(destination=table))
    assert stream.config.destination is table


def test_registry_collects_streams_with_the_namespace() -> None:
    registry = Registry(default_database="local", topic_namespace="staging")
    with collecting(registry):
        Stream[Event]("events", StreamConfig(parallelism=2))
        Stream[Event]("events", StreamConfig(version="1.0"))
    infra = registry.infra_map()
    assert sorted(infra.topics) == ["staging.events", "staging.events_1_0"]
    assert infra.topics["staging.events"].partitions == 2


def test_duplicate_topic_names_are_refused() -> None:
    with collecting(Registry(default_database="local")), pytest.raises(DeclarationError) as info:
        Stream[Event]("events")
        Stream[Event]("events")
    assert "'events' is declared twice" in str(info.value)


def test_a_table_and_a_stream_may_share_a_name(tmp_path: Path) -> None:
    project = write_project(tmp_path, """
        events = OlapTable[Event]("events")
        stream = Stream[Event]("events", StreamConfig(parallelism=4, destination=events))
    """)
    infra = collect_project(project, default_database="local", topic_namespace="ns")
    assert moose_keys(infra) == ["local_events"]
    assert list(infra.topics) == ["ns.events"]
    assert infra.topics["ns.events"].metadata is not None
    assert infra.topics["ns.events"].metadata.source is not None
    assert infra.topics["ns.events"].metadata.source.file == "app/main.py"


def test_an_invalid_namespace_is_reported_at_collection(tmp_path: Path) -> None:
    project = write_project(tmp_path, 'stream = Stream[Event]("events")\n')
    with pytest.raises(DeclarationError) as info:
        collect_project(project, default_database="local", topic_namespace="bad namespace")
    assert "'bad namespace.events' is not a valid Kafka topic name" in str(info.value)
