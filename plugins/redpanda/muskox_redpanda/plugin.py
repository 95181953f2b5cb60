"""The muskox plugin of muskox-redpanda: registers the ``redpanda`` stream backend and the topic operations.

Importing this module does not import confluent-kafka; the backend imports it on its first request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from muskox import hookimpl
from muskox.plugin.interfaces import StreamBackend
from muskox_redpanda.backend import RedpandaBackend

if TYPE_CHECKING:
    from muskox.model.operations import Operation


@hookimpl
def muskox_register_stream_backends(register: Callable[[str, type[StreamBackend]], None]) -> None:
    """Register :class:`~muskox_redpanda.backend.RedpandaBackend` as ``redpanda``."""
    register("redpanda", RedpandaBackend)


@hookimpl
def muskox_register_operations(register: Callable[[str, type[Operation]], None]) -> None:
    """Register ``CreateTopic``, ``DropTopic``, ``ModifyTopicConfig`` and ``IncreaseTopicPartitions``."""
    from muskox.model.topic_operations import TOPIC_OPERATIONS

    for name, cls in TOPIC_OPERATIONS.items():
        register(name, cls)


@hookimpl
def muskox_register_config_sections(register: Callable[[str, type[Any]], None]) -> None:
    """Declare ``[redpanda_config]`` (alias ``[kafka_config]``), the broker's section."""
    from muskox.config import RedpandaConfig

    register("redpanda_config", RedpandaConfig)
