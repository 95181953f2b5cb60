"""The state-store contract (:mod:`muskox.testing.state_contract`) against the built-in ``file`` store, and the
lock helpers every store shares.

``tests/state_keeper`` and ``tests/state_redis`` run the same contract against the real ClickHouse (KeeperMap)
and Redis servers, and ``examples/plugins/muskox-state-postgres`` against PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from muskox.config import Config, StateConfig
from muskox.state import LockInfo
from muskox.testing.state_contract import MakeConfig, StateStoreContract, capture_state_warnings, open_store
from muskox_clickhouse.dialect import CLICKHOUSE

__all__ = ["MakeConfig", "StateStoreContract", "capture_state_warnings", "open_store"]


class TestFileStore(StateStoreContract):
    """The built-in ``file`` store, in a temporary project."""

    store_name = "file"

    @pytest.fixture
    def make_config(self) -> MakeConfig:
        return lambda namespace: Config(state_config=StateConfig(storage="file", path=f".muskox/{namespace}"))


def test_lock_info_times_round_trip_and_describe() -> None:
    info = LockInfo.new("host:1", 252.2)
    assert info.describe(now=info.started_at).endswith("expires in 4m 13s)")
    assert info.describe_expiry(now=info.started_at + timedelta(seconds=300)) == "expired 0m 47s ago"  # type: ignore[operator]
    assert not info.is_stale(now=info.started_at)
    assert info.is_stale(now=info.expires_at + timedelta(microseconds=1))  # type: ignore[operator]


def test_heartbeat_interval_is_a_third_of_the_ttl(tmp_path: Path) -> None:
    from muskox.state.file_store import FileStateStore

    store = FileStateStore(tmp_path, dialect=CLICKHOUSE)
    with store.acquire_lock("a:1", ttl=3) as lock:
        assert lock._heartbeat is not None
        assert lock._heartbeat.interval == 1
        assert any(t.name.startswith("muskox-lock-heartbeat") for t in threading.enumerate())
    assert not any(t.name.startswith("muskox-lock-heartbeat") for t in threading.enumerate())
