"""The KeeperMap state store reaches the real server; its plugin registers the `clickhouse` store."""

from __future__ import annotations

import pytest

from muskox.config import ClickHouseConfig, Config
from muskox.errors import ConnectionFailed
from muskox.plugin.manager import Plugins
from muskox.testing.processes import free_port
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from muskox_state_keeper import KeeperStateStore


def test_plugin_registers_the_clickhouse_store() -> None:
    assert Plugins.load().state_store("clickhouse") is KeeperStateStore


def test_store_pings_the_server_and_names_its_table(clickhouse_server: RunningServer) -> None:
    config = Config(clickhouse_config=ClickHouseConfig(url=f"{clickhouse_server.http_url}/analytics"))
    with KeeperStateStore.from_config(config, dialect=CLICKHOUSE) as store:
        store.ping()
        assert store.table == "`analytics`.`_MOOSE_STATE`"


def test_unreachable_server_is_one_line_without_the_password() -> None:
    config = Config(clickhouse_config=ClickHouseConfig(url=f"http://bob:hunter2@127.0.0.1:{free_port()}/db"))
    with KeeperStateStore.from_config(config, dialect=CLICKHOUSE) as store, pytest.raises(ConnectionFailed) as info:
        store.ping()
    assert "hunter2" not in str(info.value)
    assert "\n" not in str(info.value)
