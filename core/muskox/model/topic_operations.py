"""The plan vocabulary of topics: creating, dropping, reconfiguring and growing Kafka/Redpanda topics.

Moose applies topic changes without showing them; muskox plans them like tables, so a reviewer sees every
change to every resource. The classes live in the core (the planner lowers topic changes to them); the stream
backend plugin (muskox-redpanda) registers them in the plan vocabulary through ``muskox_register_operations``
and applies them. Their ``backend`` is ``"stream"``: the executor routes them to the stream backend.

``ModifyTopicConfig`` carries the whole managed configuration before and after (``retention.ms``,
``max.message.bytes`` and the declared ``configs``); applying it sets the changed and added keys and deletes
the removed ones (Kafka's incremental alter configs), so running it twice does no harm.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from muskox.model.operations import BackendKind, Operation
from muskox.model.resources import Topic


@attrs.frozen(kw_only=True)
class TopicOperation(Operation):
    """An operation on one existing topic, named by its physical name (namespace prefix included)."""

    backend: ClassVar[BackendKind] = "stream"
    topic: str

    def subject(self) -> tuple[str | None, str]:
        return (None, self.topic)


@attrs.frozen(kw_only=True)
class CreateTopic(Operation):
    """Create a topic from its full definition (partitions and configuration)."""

    backend: ClassVar[BackendKind] = "stream"
    topic: Topic

    def subject(self) -> tuple[str | None, str]:
        return (None, self.topic.name)

    def describe(self) -> str:
        return f"Creating topic '{self.topic.name}' ({self.topic.partitions} partition(s))"


@attrs.frozen(kw_only=True)
class DropTopic(TopicOperation):
    """Delete a topic and every message in it."""

    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"Dropping topic '{self.topic}'"


@attrs.frozen(kw_only=True)
class ModifyTopicConfig(TopicOperation):
    """Set changed and added configuration keys, delete removed ones (incremental alter configs)."""

    before_configs: dict[str, str] = attrs.field(factory=dict)
    after_configs: dict[str, str] = attrs.field(factory=dict)

    def changed(self) -> dict[str, str]:
        """The keys to set, with their new values."""
        return {k: v for k, v in sorted(self.after_configs.items()) if self.before_configs.get(k) != v}

    def removed(self) -> list[str]:
        """The keys to delete (back to the broker's default)."""
        return sorted(k for k in self.before_configs if k not in self.after_configs)

    def describe(self) -> str:
        keys = [*self.changed(), *self.removed()]
        return f"Modifying config of topic '{self.topic}' ({', '.join(sorted(keys)) or 'no keys'})"


@attrs.frozen(kw_only=True)
class IncreaseTopicPartitions(TopicOperation):
    """Grow a topic to ``after_partitions`` partitions (Kafka cannot shrink a topic)."""

    before_partitions: int
    after_partitions: int

    def describe(self) -> str:
        return (f"Increasing partitions of topic '{self.topic}' from {self.before_partitions} to "
                f"{self.after_partitions}")


#: The topic operation types, by their plan-file name (registered by the stream backend plugin).
TOPIC_OPERATIONS: dict[str, type[Operation]] = {cls.__name__: cls for cls in (
    CreateTopic, DropTopic, ModifyTopicConfig, IncreaseTopicPartitions,
)}
