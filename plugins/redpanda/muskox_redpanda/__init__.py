"""muskox-redpanda: Kafka/Redpanda topics for muskox through confluent-kafka's AdminClient."""

from __future__ import annotations

from muskox_redpanda.backend import RedpandaBackend
from muskox_redpanda.connection import KafkaSettings, parse_kafka_url, resolve_settings, settings_from_config

__all__ = ["KafkaSettings", "RedpandaBackend", "parse_kafka_url", "resolve_settings", "settings_from_config"]
