"""The state-store contract against the real ClickHouse 26.9 (KeeperMap through its test keeper).

Each test uses its own database, so the ``/<db>/_MOOSE_STATE`` KeeperMap paths never collide.
"""

from __future__ import annotations

import pytest

from muskox.config import ClickHouseConfig, Config, StateConfig
from muskox.testing.state_contract import MakeConfig, StateStoreContract
from muskox_clickhouse.local import RunningServer


class TestKeeperStoreOverHttp(StateStoreContract):
    store_name = "clickhouse"

    @pytest.fixture
    def make_config(self, clickhouse_server: RunningServer) -> MakeConfig:
        return lambda namespace: Config(
            clickhouse_config=ClickHouseConfig(url=f"{clickhouse_server.http_url}/{namespace}"),
            state_config=StateConfig(storage="clickhouse"))


class TestKeeperStoreOverNative(StateStoreContract):
    """The same over the native protocol (asynch), which runs the strict-mode statements differently."""

    store_name = "clickhouse"

    @pytest.fixture
    def make_config(self, clickhouse_server: RunningServer) -> MakeConfig:
        return lambda namespace: Config(
            clickhouse_config=ClickHouseConfig(url=f"{clickhouse_server.native_url}/{namespace}"),
            state_config=StateConfig(storage="clickhouse"))
