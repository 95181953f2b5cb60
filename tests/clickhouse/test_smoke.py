"""The connection layer against a real ClickHouse 26.9 (the session's ``clickhouse_server``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from muskox.config import ClickHouseConfig, Config
from muskox.errors import ConnectionFailed
from muskox.plugin.manager import Plugins
from muskox.testing.processes import free_port
from muskox_clickhouse import ClickHouseBackend, ClickHouseServerError, connect, parse_url
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.url import ClickHouseUrl

PROTOCOLS = ["http", "native"]
SECRET = "not-the-password-42"


def server_url(server: RunningServer, protocol: str, **changes: object) -> ClickHouseUrl:
    base = parse_url(server.http_url if protocol == "http" else server.native_url)
    return ClickHouseUrl(**{**{f: getattr(base, f) for f in ("protocol", "host", "port", "database", "user")},
                            **changes})


@pytest.fixture(params=PROTOCOLS)
def client(request: pytest.FixtureRequest, clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    with connect(server_url(clickhouse_server, request.param)) as opened:
        yield opened


@pytest.fixture
def database(clickhouse_server: RunningServer) -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    name = f"smoke_{uuid.uuid4().hex[:12]}"
    with connect(parse_url(clickhouse_server.http_url)) as admin:
        admin.command(f"CREATE DATABASE {name}")
        try:
            yield name
        finally:
            admin.command(f"DROP DATABASE IF EXISTS {name} SYNC")


def test_version_through_clickhouse_connect_directly(clickhouse_server: RunningServer) -> None:
    import clickhouse_connect

    raw = clickhouse_connect.get_client(host=clickhouse_server.host, port=clickhouse_server.http_port,
                                        dedicated_pool=True)
    try:
        assert str(raw.query("SELECT version()").result_rows[0][0]).startswith("26.9.")
    finally:
        raw.close()


def test_version_through_both_protocols(client: ClickHouseClient) -> None:
    assert client.server_version().startswith("26.9.")
    assert client.query("SELECT 1, 'a' UNION ALL SELECT 2, 'b' ORDER BY 1") == [(1, "a"), (2, "b")]


def test_bad_sql_surfaces_the_clickhouse_error(client: ClickHouseClient) -> None:
    with pytest.raises(ClickHouseServerError) as info:
        client.query("SELEC 1")
    assert info.value.code == 62
    assert info.value.name == "SYNTAX_ERROR"
    assert str(info.value).startswith("ClickHouse error 62 (SYNTAX_ERROR): Syntax error")
    assert "\n" not in str(info.value)


def test_select_rows_reads_what_query_reads(client: ClickHouseClient) -> None:
    sql = ("SELECT 'it''s ü\\ttab', toUInt8(1), toUInt64(18446744073709551615), toInt128(-3), true, NULL, "
           "toNullable(toUInt64(7)), ''")
    assert client.select_rows(sql) == client.query(sql) == [
        ("it's ü\ttab", 1, 18446744073709551615, -3, True, None, 7, "")]
    assert client.select_rows("SELECT number FROM system.numbers LIMIT 3") == [(0,), (1,), (2,)]
    with pytest.raises(ClickHouseServerError) as info:
        client.select_rows("SELECT * FROM system.no_such_table")
    assert info.value.code == 60


def test_commands_queries_and_select_rows_share_one_session(client: ClickHouseClient) -> None:
    """A temporary table and a ``SET`` live in the client's session, which every method uses."""
    client.command("CREATE TEMPORARY TABLE tmp (x UInt8)")
    client.command("SET max_threads = 5")
    assert client.query("SELECT count(), toUInt64(getSetting('max_threads')) FROM tmp") == [(0, 5)]
    assert client.select_rows("SELECT count(), toUInt64(getSetting('max_threads')) FROM tmp") == [(0, 5)]


def test_command_and_settings(client: ClickHouseClient, database: str) -> None:
    client.command(f"CREATE TABLE {database}.t (id UInt32, name String) ENGINE = MergeTree ORDER BY id")
    client.command(f"INSERT INTO {database}.t VALUES (1, 'one'), (2, 'two')")
    assert client.query(f"SELECT name FROM {database}.t ORDER BY id") == [("one",), ("two",)]
    rows = client.query("SELECT getSetting('max_threads')", settings={"max_threads": 3})
    assert int(rows[0][0]) == 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_password_is_connection_failed_without_the_password(
        clickhouse_server: RunningServer, protocol: str) -> None:
    with pytest.raises(ConnectionFailed) as info:
        connect(server_url(clickhouse_server, protocol, password=SECRET))
    message = str(info.value)
    assert "refused the credentials of user 'default'" in message
    assert "check the user and password" in message
    assert SECRET not in message
    assert "****" in message


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unreachable_port_is_connection_failed(clickhouse_server: RunningServer, protocol: str) -> None:
    port = free_port()
    with pytest.raises(ConnectionFailed) as info:
        connect(server_url(clickhouse_server, protocol, port=port, password=SECRET), connect_timeout=2)
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message
    assert "refused the connection" in message
    assert "muskox local start" in message
    assert SECRET not in message


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_silent_server_is_a_timeout(clickhouse_server: RunningServer, protocol: str) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = server_url(clickhouse_server, protocol, port=silent.getsockname()[1])
        with pytest.raises(ConnectionFailed, match="did not answer within"):
            connect(url, connect_timeout=1, query_timeout=1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_missing_database_is_connection_failed(clickhouse_server: RunningServer, protocol: str) -> None:
    with pytest.raises(ConnectionFailed, match="database 'no_such_db' does not exist"):
        connect(server_url(clickhouse_server, protocol, database="no_such_db"))


def test_keeper_map_strict_mode_rejects_a_duplicate_key(client: ClickHouseClient, database: str) -> None:
    path = f"/muskox_smoke/{uuid.uuid4().hex}"
    client.command(f"CREATE TABLE {database}.kv (k String, v String) ENGINE = KeeperMap('{path}') PRIMARY KEY k")
    client.command("SET keeper_map_strict_mode = 1")
    client.command(f"INSERT INTO {database}.kv VALUES ('key', 'first')")
    with pytest.raises(ClickHouseServerError):
        client.command(f"INSERT INTO {database}.kv VALUES ('key', 'second')")
    assert client.query(f"SELECT v FROM {database}.kv") == [("first",)]


def test_backend_from_config(clickhouse_server: RunningServer) -> None:
    config = Config(clickhouse_config=ClickHouseConfig(
        host=clickhouse_server.host, host_port=clickhouse_server.http_port, db_name="not_created_yet"))
    with ClickHouseBackend.from_config(config) as backend:
        assert backend.database == "not_created_yet"  # the session does not need it to exist
        assert backend.server_version().startswith("26.9.")
    with ClickHouseBackend.from_config(config, url=clickhouse_server.native_url + "/analytics") as backend:
        assert backend.url.protocol == "native"
        assert backend.database == "analytics"
        assert backend.server_version().startswith("26.9.")
        backend.close()


def test_backend_unreachable_server(clickhouse_server: RunningServer) -> None:
    backend = ClickHouseBackend.from_config(Config(), url=f"http://default:{SECRET}@127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionFailed) as info:
        backend.server_version()
    assert SECRET not in str(info.value)


def test_plugin_registers_the_backend() -> None:
    assert Plugins.load(env={}).olap_backend("clickhouse") is ClickHouseBackend


def test_plugin_import_loads_no_driver() -> None:
    code = ("import sys, muskox_clickhouse.plugin, muskox_clickhouse; "
            "print(sorted(m for m in ('clickhouse_connect', 'asynch', 'chdb', 'pandas', 'pyarrow') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
