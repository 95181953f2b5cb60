"""The ``redpanda`` stream backend: topics on a Kafka-protocol broker through confluent-kafka's AdminClient.

It lists and introspects topics and applies the topic operations of :mod:`muskox.model.topic_operations` (the
work is in :mod:`muskox_redpanda.topics`).

confluent-kafka is imported when the first request is made, not when this module is imported. librdkafka's
own log lines go to the Python logger ``muskox_redpanda.librdkafka`` instead of stderr.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any, Self

from muskox.errors import ConfigError, ConnectionFailed, PluginError
from muskox.masking import mask_text
from muskox.plugin.interfaces import StreamBackend
from muskox_redpanda.connection import KafkaSettings, resolve_settings

if TYPE_CHECKING:
    from collections.abc import Collection

    from muskox.config import Config
    from muskox.model.operations import Operation
    from muskox.model.resources import Topic

#: Seconds a request may take before the broker counts as unreachable.
DEFAULT_TIMEOUT = 5.0
#: Seconds a topic operation (create, delete, alter, grow) may take.
OPERATION_TIMEOUT = 30.0
LIBRDKAFKA_LOGGER = "muskox_redpanda.librdkafka"

#: librdkafka error names meaning "the credentials were refused".
_AUTH_ERRORS = frozenset({"_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED",
                          "TOPIC_AUTHORIZATION_FAILED"})
_TLS_ERRORS = frozenset({"_SSL"})


class RedpandaBackend(StreamBackend):
    """Topics on a Kafka or Redpanda broker, managed through confluent-kafka's ``AdminClient``."""

    description = "Kafka/Redpanda topics through confluent-kafka's AdminClient"

    def __init__(self, settings: KafkaSettings, *, timeout: float = DEFAULT_TIMEOUT,
                 operation_timeout: float = OPERATION_TIMEOUT, replication_factor: int = 1,
                 default_retention_ms: int = 30000) -> None:
        """Prepare a backend for ``settings``; nothing is contacted until the first request.

        :param timeout: seconds each read request may take before :class:`muskox.errors.ConnectionFailed`.
        :param operation_timeout: seconds a topic operation may take (creating topics on a cluster is slower).
        :param replication_factor: replicas of each created topic (``[redpanda_config] replication_factor``).
        :param default_retention_ms: retention of created topics that declare none (``retention_ms``).
        """
        if timeout <= 0 or operation_timeout <= 0:
            raise ValueError(f"timeouts must be positive, not {timeout} / {operation_timeout}")
        self.settings = settings
        self.timeout = timeout
        self.operation_timeout = operation_timeout
        self.replication_factor = replication_factor
        self.default_retention_ms = default_retention_ms
        self._admin: Any = None

    @classmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        """A backend for ``[redpanda_config]``: ``url`` (a Kafka URL) when given, else the section's ``url``
        (``--kafka-url`` is merged into it), else ``broker`` and the SASL/TLS keys."""
        section = config.redpanda_config
        return cls(resolve_settings(config, url), replication_factor=section.replication_factor,
                   default_retention_ms=section.retention_ms)

    @property
    def admin(self) -> Any:
        """The underlying ``confluent_kafka.admin.AdminClient``, created on first use."""
        if self._admin is None:
            try:
                from confluent_kafka import KafkaException
                from confluent_kafka.admin import AdminClient
            except ImportError as exc:
                raise PluginError("the redpanda backend needs confluent-kafka, which is not installed",
                                  "pip install muskox-redpanda (or pip install confluent-kafka)") from exc
            config: dict[str, Any] = {**self.settings.client_config(),
                                      "logger": logging.getLogger(LIBRDKAFKA_LOGGER)}
            try:
                self._admin = AdminClient(config)
            except KafkaException as exc:
                raise ConfigError(
                    f"confluent-kafka rejected the client settings for {self.settings.display()}: "
                    f"{mask_text(str(exc))}",
                    "check [redpanda_config] security_protocol and sasl_mechanism (or the --kafka-url)",
                ) from None
        return self._admin

    def list_topics(self) -> list[str]:
        """Names of the topics on the broker, sorted, without internal ones (names starting with ``_``)."""
        from confluent_kafka import KafkaException

        try:
            metadata = self.admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            raise self.connection_failed(exc) from None
        from muskox_redpanda.topics import is_internal  # the model loads only when topics are involved

        return sorted(name for name in metadata.topics if not is_internal(name))

    def introspect(self, names: Collection[str] | None = None) -> dict[str, Topic]:
        """The topics called ``names`` that exist (every non-internal topic when None): partitions and every
        configuration value the broker reports. Two admin requests, whatever the number of topics."""
        from confluent_kafka import KafkaException

        from muskox_redpanda.topics import introspect_topics

        try:
            return introspect_topics(self.admin, names, self.timeout)
        except KafkaException as exc:
            raise self.connection_failed(exc) from None

    def apply(self, operation: Operation) -> None:
        """Apply one topic operation; a refusal is one :class:`~muskox_redpanda.topics.TopicOperationFailed`
        line naming the operation, the broker's error code and message."""
        from muskox_redpanda.topics import apply_topic_operation

        apply_topic_operation(self.admin, operation, replication_factor=self.replication_factor,
                              default_retention_ms=self.default_retention_ms, timeout=self.operation_timeout)

    def connection_failed(self, exc: Exception) -> ConnectionFailed:
        """Turn a confluent-kafka failure into a one-line :class:`ConnectionFailed` with a fix."""
        from confluent_kafka import KafkaError

        error = exc.args[0] if exc.args else None
        if isinstance(error, KafkaError):
            name, detail = error.name(), mask_text(error.str())
        else:
            name, detail = "", mask_text(str(exc))
        broker = self.settings.display()
        if name in _AUTH_ERRORS:
            return ConnectionFailed(
                f"Kafka broker {broker} refused the credentials ({detail})",
                "check redpanda_config.sasl_username, sasl_password and sasl_mechanism (or the --kafka-url)",
            )
        if name in _TLS_ERRORS:
            return ConnectionFailed(
                f"TLS with Kafka broker {broker} failed ({detail})",
                "check that the broker speaks TLS on that port, or use kafka:// / security_protocol PLAINTEXT",
            )
        running = [server for server in self.settings.bootstrap_servers if _listening(server)]
        if running and self.settings.uses_tls:
            return ConnectionFailed(
                f"Kafka broker {broker} accepts connections but the TLS handshake did not complete within "
                f"{self.timeout:g} s ({detail})",
                "the broker does not speak TLS on this port: use kafka:// (security_protocol PLAINTEXT or "
                "SASL_PLAINTEXT), or the broker's TLS listener",
            )
        if running and self.settings.sasl_mechanism is not None:
            return ConnectionFailed(
                f"Kafka broker {broker} accepts connections but SASL authentication did not complete within "
                f"{self.timeout:g} s ({detail})",
                "the listener on this port may not use SASL: remove the credentials (kafka://host:port, or "
                "security_protocol PLAINTEXT), or use the broker's SASL listener",
            )
        if running:
            return ConnectionFailed(
                f"Kafka broker {broker} accepts connections but did not answer as a Kafka broker within "
                f"{self.timeout:g} s ({detail})",
                "check that this port is the broker's Kafka listener and whether it requires TLS (kafka+ssl://) "
                "or SASL (user:password@)",
            )
        return ConnectionFailed(
            f"cannot reach Kafka broker {broker} within {self.timeout:g} s ({detail})",
            "start the broker, or point redpanda_config.broker (or --kafka-url) at a running one",
        )

    def close(self) -> None:
        """Drop the admin client (librdkafka closes its connections). Safe to call twice."""
        self._admin = None


def _listening(server: str, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``server`` (``host:port``, IPv6 host in brackets)."""
    host, _, port = server.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False
