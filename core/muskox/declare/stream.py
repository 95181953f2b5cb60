"""``Stream[Event]("events", StreamConfig(parallelism=3))``: a Kafka/Redpanda topic declared in Python.

Field names follow Moose's ``StreamConfig`` (``parallelism`` is the partition count, ``retention_period`` the
retention in seconds); ``configs`` adds any other topic configuration (``cleanup.policy``,
``max.message.bytes``, …). The physical topic is ``[<namespace>.]<name>[_<version>]``, as Moose names it:
``redpanda_config.namespace`` prefixes every topic of the project.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from muskox.declare.config_checks import config_class, optional_string, string_map
from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, placed, prefix, runtime_only
from muskox.declare.olap_table import OlapTable, source_metadata
from muskox.declare.registry import active_registry, display_base
from muskox.declare.typed import ModelTyped
from muskox.model.resources import MAX_MESSAGE_BYTES, RETENTION_MS, Topic
from muskox.model.table import LifeCycle, version_suffix

T = TypeVar("T")

#: Moose's default retention: seven days, in seconds.
DEFAULT_RETENTION_PERIOD = 60 * 60 * 24 * 7
#: Characters Kafka allows in a topic name, and its length limit.
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


@config_class
@attrs.define(kw_only=True)
class SubjectLatest:
    """The latest schema of a schema-registry subject."""

    name: str


@config_class
@attrs.define(kw_only=True)
class SubjectVersion:
    """One version of a schema-registry subject."""

    subject: str
    version: int


@config_class
@attrs.define(kw_only=True)
class SchemaById:
    """A schema-registry schema by its id."""

    id: int


@config_class
@attrs.define(kw_only=True)
class KafkaSchemaConfig:
    """The schema-registry schema the application encodes a stream's messages with (``JSON``, ``AVRO``,
    ``PROTOBUF``)."""

    kind: str
    reference: SubjectLatest | SubjectVersion | SchemaById

    def _normalize(self) -> None:
        if self.kind not in ("JSON", "AVRO", "PROTOBUF"):
            raise DeclarationError(f"KafkaSchemaConfig.kind: expected 'JSON', 'AVRO' or 'PROTOBUF', got {self.kind!r}",
                                   'use kind="JSON"')


@config_class
@attrs.define(kw_only=True)
class StreamConfig:
    """How a stream's topic is configured, as Moose's ``StreamConfig`` plus explicit topic ``configs``.

    ``retention_period`` is in seconds (``retention.ms`` on the broker); ``configs`` are broker configuration
    keys and values (``{"cleanup.policy": "compact"}``); ``configs["max.message.bytes"]`` is allowed,
    ``configs["retention.ms"]`` is not (use ``retention_period``). ``destination`` is the ``OlapTable`` the
    stream feeds; muskox records it but creates no sync process. ``default_dead_letter_queue`` (where the
    stream's transforms and consumers send failed messages) and ``schema_config`` (a schema-registry reference)
    are for the application.
    """

    parallelism: int = 1
    retention_period: int = DEFAULT_RETENTION_PERIOD
    destination: OlapTable[Any] | None = None
    version: str | None = None
    metadata: dict[str, Any] | None = None
    life_cycle: LifeCycle | None = None
    default_dead_letter_queue: DeadLetterQueue[Any] | None = None
    schema_config: KafkaSchemaConfig | None = None
    configs: dict[str, str] | None = None

    def _normalize(self) -> None:
        for field in ("parallelism", "retention_period"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DeclarationError(f"StreamConfig.{field}: expected a positive integer, got {value!r}",
                                       f"write StreamConfig({field}=1) or more")
        self.version = optional_string(self.version, "StreamConfig.version")
        if self.default_dead_letter_queue is not None and not isinstance(self.default_dead_letter_queue,
                                                                          DeadLetterQueue):
            raise DeclarationError("StreamConfig.default_dead_letter_queue: expected a DeadLetterQueue, got "
                                   f"{self.default_dead_letter_queue!r}", "pass a DeadLetterQueue[Model](...)")
        if self.destination is not None and not isinstance(self.destination, OlapTable):
            raise DeclarationError(f"StreamConfig.destination: expected an OlapTable, got {self.destination!r}",
                                   "pass the OlapTable the stream feeds, or leave it out")
        if isinstance(self.life_cycle, str):
            try:
                self.life_cycle = LifeCycle(self.life_cycle)
            except ValueError:
                raise DeclarationError(f"StreamConfig.life_cycle: unknown lifecycle {self.life_cycle!r}",
                                       f"use one of {', '.join(m.value for m in LifeCycle)}") from None
        elif self.life_cycle is not None and not isinstance(self.life_cycle, LifeCycle):
            raise DeclarationError(f"StreamConfig.life_cycle: expected a LifeCycle, got {self.life_cycle!r}",
                                   "use LifeCycle.FULLY_MANAGED, DELETION_PROTECTED or EXTERNALLY_MANAGED")
        if self.metadata is not None and not isinstance(self.metadata, dict):
            raise DeclarationError(f"StreamConfig.metadata: expected a dict, got {self.metadata!r}",
                                   'write metadata={"description": "..."}')
        self.configs = string_map(self.configs, "StreamConfig.configs")
        if self.configs and RETENTION_MS in self.configs:
            raise DeclarationError(f"StreamConfig.configs: {RETENTION_MS!r} is set through retention_period",
                                   "write StreamConfig(retention_period=<seconds>) instead")
        max_bytes = (self.configs or {}).get(MAX_MESSAGE_BYTES)
        if max_bytes is not None and not max_bytes.isdigit():
            raise DeclarationError(f"StreamConfig.configs: {MAX_MESSAGE_BYTES!r} must be a number of bytes, "
                                   f"got {max_bytes!r}", f'write configs={{"{MAX_MESSAGE_BYTES}": "1048576"}}')


class Stream(ModelTyped[T], Generic[T]):
    """A Kafka/Redpanda topic carrying messages of the schema class ``T`` (``Stream[Event]("events")``).

    ``name`` is the logical name; the topic is ``name`` plus the version suffix (``events_1_0`` for
    ``version="1.0"``), behind ``redpanda_config.namespace`` when one is set (``prod.events_1_0``).
    """

    default_dead_letter_queue: DeadLetterQueue[Any] | None
    kind: str = "Stream"

    def __init__(self, name: str, config: StreamConfig | None = None, *, t: type[T] | None = None) -> None:
        self.location = caller_location()
        here = prefix(self.location, display_base())
        if not isinstance(name, str) or not name:
            raise DeclarationError(f"{here}Stream: the name must be a non-empty string, got {name!r}",
                                   'write Stream[Model]("name", StreamConfig(...))')
        if t is None:
            raise DeclarationError(f"{here}Stream {name!r}: no schema class", f'write Stream[Model]("{name}", ...)')
        if config is not None and not isinstance(config, StreamConfig):
            raise DeclarationError(f"{here}Stream {name!r}: config must be a StreamConfig, "
                                   f"got {type(config).__name__}", "pass StreamConfig(...)")
        self.name = name
        self.config = config if config is not None else StreamConfig()
        self.model_type: type[T] = t
        self.metadata = self.config.metadata
        self.default_dead_letter_queue: DeadLetterQueue[Any] | None = self.config.default_dead_letter_queue
        self.transformations: dict[str, list[TransformEntry[Any]]] = {}
        self.consumers: list[ConsumerEntry[Any]] = []
        self._multi_transform: Callable[..., Any] | None = None
        try:
            check_topic_name(self.topic_name())
        except DeclarationError as exc:
            raise placed(exc, self.location, display_base(), f"Stream {name!r}") from None
        registry = active_registry()
        if registry is not None:
            registry.add_stream(self)

    def topic_name(self, namespace: str | None = None) -> str:
        """The physical topic: ``[<namespace>.]<name>[_<version>]`` (Moose's ``_build_full_topic_name``)."""
        base = self.name + version_suffix(self.config.version)
        return f"{namespace}.{base}" if namespace else base

    def _build_full_topic_name(self, namespace: str | None) -> str:
        """Moose's name for :meth:`topic_name`."""
        return self.topic_name(namespace)

    # -- streaming functions: recorded for the application, which runs them ---------------------------------

    def add_transform(self, destination: Stream[Any], transformation: Callable[..., Any],
                      config: TransformConfig | None = None) -> None:
        """Send each message, transformed by ``transformation``, to ``destination`` (one per destination and
        version; failures go to the config's dead-letter queue, else the stream's default one)."""
        config = config or TransformConfig()
        if self.default_dead_letter_queue is not None and config.dead_letter_queue is None:
            config = attrs.evolve(config, dead_letter_queue=self.default_dead_letter_queue)
        entries = self.transformations.setdefault(destination.name, [])
        if all(entry.config.version != config.version for entry in entries):
            entries.append(TransformEntry(destination=destination, transformation=transformation, config=config))

    def add_consumer(self, consumer: Callable[..., Any], config: ConsumerConfig | None = None) -> None:
        """Call ``consumer`` with each message (one consumer per version)."""
        config = config or ConsumerConfig()
        if self.default_dead_letter_queue is not None and config.dead_letter_queue is None:
            config = attrs.evolve(config, dead_letter_queue=self.default_dead_letter_queue)
        if all(entry.config.version != config.version for entry in self.consumers):
            self.consumers.append(ConsumerEntry(consumer=consumer, config=config))

    def has_consumers(self) -> bool:
        """True once a consumer was added."""
        return bool(self.consumers)

    def routed(self, values: Any) -> RoutedMessage:
        """``values`` addressed to this stream, for a multi-transform's result."""
        return RoutedMessage(destination=self, values=values)

    def set_multi_transform(self, transformation: Callable[..., Any]) -> None:
        """Route each message to several streams (``transformation`` returns ``[stream.routed(value), …]``)."""
        self._multi_transform = transformation

    def send(self, values: Any) -> None:
        """Publishes messages at run time; not available while muskox collects the declarations."""
        raise runtime_only("Stream.send()")

    def close_producer(self) -> None:
        """Closes the run-time producer; there is none while muskox collects, so this does nothing."""

    def to_topic(self, *, namespace: str | None = None, project_dir: Path | None = None) -> Topic:
        """The stream as a :class:`muskox.model.resources.Topic` named by its physical topic name."""
        config = self.config
        configs = dict(config.configs or {})
        max_bytes = configs.pop(MAX_MESSAGE_BYTES, None)
        return Topic(
            name=self.topic_name(namespace),
            partitions=config.parallelism,
            retention_ms=config.retention_period * 1000,
            max_message_bytes=None if max_bytes is None else int(max_bytes),
            configs=configs,
            version=config.version,
            life_cycle=config.life_cycle or LifeCycle.FULLY_MANAGED,
            metadata=source_metadata(config.metadata, self.location, project_dir),
        )

    def __repr__(self) -> str:
        return f"Stream[{getattr(self.model_type, '__name__', self.model_type)}]({self.name!r})"


@config_class
@attrs.define(kw_only=True)
class TransformConfig:
    """How a transform runs: its ``version`` (several transforms to one destination differ by version), the
    dead-letter queue of its failures, and metadata."""

    version: str | None = None
    dead_letter_queue: DeadLetterQueue[Any] | None = None
    metadata: dict[str, Any] | None = None


@config_class
@attrs.define(kw_only=True)
class ConsumerConfig:
    """How a consumer runs: its ``version`` and the dead-letter queue of its failures."""

    version: str | None = None
    dead_letter_queue: DeadLetterQueue[Any] | None = None


@attrs.define
class TransformEntry(Generic[T]):
    """A transform added to a stream."""

    destination: Stream[Any]
    transformation: Callable[..., Any]
    config: TransformConfig


@attrs.define
class ConsumerEntry(Generic[T]):
    """A consumer added to a stream."""

    consumer: Callable[..., Any]
    config: ConsumerConfig


@attrs.define
class RoutedMessage:
    """Messages addressed to one stream (what ``Stream.routed`` returns)."""

    destination: Stream[Any]
    values: Any


class DeadLetterQueue(Stream[T], Generic[T]):
    """A stream for the messages a transform, consumer or ingest API could not process, with the error.

    ``DeadLetterQueue[Order]("orders_dlq")`` declares its topic like any stream; its messages are
    ``DeadLetterModel[Order]`` records.
    """

    kind: str = "DeadLetterQueue"

    def __init__(self, name: str, config: StreamConfig | None = None, *, t: type[T] | None = None) -> None:
        self._model_type = t
        super().__init__(name, config if config is not None else StreamConfig(), t=t)


def check_topic_name(name: str) -> None:
    """Raise :class:`DeclarationError` unless Kafka accepts ``name`` as a topic name."""
    if not _TOPIC_NAME.match(name) or name in {".", ".."}:
        raise DeclarationError(f"{name!r} is not a valid Kafka topic name",
                               "use at most 249 letters, digits, '.', '_' and '-'")
