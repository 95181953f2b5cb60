"""The standard-library HTTP wire: statements, settings, sessions and errors against a real ClickHouse, and the
reopening of a kept-alive connection against a small socket server that closes it."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import pytest

from muskox.errors import ConnectionFailed
from muskox.local import RunningServer
from muskox_clickhouse import ClickHouseServerError, parse_url
from muskox_clickhouse.drivers.http_wire import HttpWire
from muskox_clickhouse.url import ClickHouseUrl


@pytest.fixture
def wire(clickhouse_server: RunningServer) -> Iterator[HttpWire]:
    opened = HttpWire(parse_url(clickhouse_server.http_url), use_database=False, connect_timeout=5,
                      query_timeout=30, session_id=str(uuid.uuid4()))
    yield opened
    opened.close()


@pytest.fixture
def database(wire: HttpWire) -> Iterator[str]:
    name = f"wire_{uuid.uuid4().hex[:8]}"
    wire.execute(f"CREATE DATABASE `{name}`")
    yield name
    wire.execute(f"DROP DATABASE IF EXISTS `{name}` SYNC")


def test_execute_sends_settings_as_the_server_reads_them(wire: HttpWire, database: str) -> None:
    wire.execute(f"CREATE TABLE `{database}`.s ENGINE = Memory AS SELECT getSetting('max_threads') AS threads, "
                 "getSetting('flatten_nested') AS flatten", {"max_threads": 3, "flatten_nested": False})
    assert wire.rows(f"SELECT toUInt64(threads), toUInt8(flatten) FROM `{database}`.s") == [(3, 0)]


def test_a_set_lasts_for_the_session_and_reads_stay_outside_it(wire: HttpWire, database: str) -> None:
    wire.execute("SET max_threads = 5")
    wire.execute(f"CREATE TABLE `{database}`.s ENGINE = Memory AS SELECT getSetting('max_threads') AS threads")
    assert wire.rows(f"SELECT toUInt64(threads) FROM `{database}`.s") == [(5,)]
    [(outside,)] = wire.rows("SELECT toUInt64(getSetting('max_threads'))")
    assert outside != 5


def test_a_rejected_statement_is_the_servers_error(wire: HttpWire) -> None:
    with pytest.raises(ClickHouseServerError) as info:
        wire.execute("CREATE TABLE no_such_database_here.t (x UInt8) ENGINE = Memory")
    assert info.value.code == 81
    with pytest.raises(ClickHouseServerError) as syntax:
        wire.execute("CREATE TABEL t (x UInt8)")
    assert syntax.value.code == 62


def test_an_error_after_the_answer_started_is_raised(wire: HttpWire) -> None:
    """The server has sent its headers (status 200) and part of the rows when the statement fails."""
    with pytest.raises(ClickHouseServerError) as info:
        wire.execute("SELECT throwIf(number = 3000000, 'late failure') FROM system.numbers LIMIT 4000000",
                     {"max_block_size": 1000})
    assert "late failure" in str(info.value)


class ClosingServer:
    """Answers each connection's first request (keep-alive), then closes it; ``close_at_once`` closes before
    answering anything. ``requests`` counts the requests it read in full (and so would have run)."""

    def __init__(self, *, close_at_once: bool = False) -> None:
        self.close_at_once = close_at_once
        self.requests = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.requests += 1
                if self.close_at_once:
                    continue
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
                connection.recv(1)  # wait until the client sends its next request (or closes), then close

    def close(self) -> None:
        self._listener.close()


def fake_wire(server: ClosingServer) -> HttpWire:
    return HttpWire(ClickHouseUrl(protocol="http", host="127.0.0.1", port=server.port), use_database=False,
                    connect_timeout=2, query_timeout=2)


def test_a_kept_alive_connection_closed_by_the_server_is_reopened() -> None:
    server = ClosingServer()
    wire = fake_wire(server)
    try:
        wire.execute("CREATE TABLE a (x UInt8) ENGINE = Memory")
        # the server drops the kept-alive connection without reading the second request: sent once more
        wire.execute("CREATE TABLE b (x UInt8) ENGINE = Memory")
    finally:
        wire.close()
        server.close()
    assert server.requests == 2


def test_a_new_connection_closed_without_an_answer_is_not_sent_again() -> None:
    """The server may have run the statement: sending it twice could run it twice."""
    server = ClosingServer(close_at_once=True)
    wire = fake_wire(server)
    try:
        with pytest.raises(ConnectionFailed, match="cannot talk to ClickHouse"):
            wire.execute("CREATE TABLE a (x UInt8) ENGINE = Memory")
    finally:
        wire.close()
        server.close()
    assert server.requests == 1
