"""Introspection sends a constant number of queries, whatever the number of tables."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from muskox.config import ClickHouseConfig, Config
from muskox.model import Column, Table, TableIndex, TableProjection, View
from muskox.model.types import DateTime, Simple
from muskox_clickhouse import ClickHouseBackend, connect, parse_url
from muskox_clickhouse.client import ClickHouseClient, Settings
from muskox_clickhouse.ddl import DDL_SETTINGS, render_create_table, render_create_view
from muskox_clickhouse.introspect import introspect
from muskox_clickhouse.local import RunningServer
from tests.keys import moose_keys

PROTOCOLS = ["http", "native"]


class CountingClient(ClickHouseClient):
    """Delegates to a real client and records every statement sent."""

    def __init__(self, inner: ClickHouseClient) -> None:
        super().__init__(inner.url, use_database=inner.use_database, connect_timeout=inner.connect_timeout,
                         query_timeout=inner.query_timeout)
        self.inner = inner
        self.sent: list[str] = []

    def query(self, sql: str, *, settings: Settings | None = None) -> list[tuple[Any, ...]]:
        self.sent.append(sql)
        return self.inner.query(sql, settings=settings)

    def command(self, sql: str, *, settings: Settings | None = None) -> None:
        self.sent.append(sql)
        self.inner.command(sql, settings=settings)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(params=PROTOCOLS)
def client(request: pytest.FixtureRequest, clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    url = clickhouse_server.http_url if request.param == "http" else clickhouse_server.native_url
    with connect(parse_url(url), use_database=False) as opened:
        yield opened


def _table(number: int, database: str) -> Table:
    columns = (Column(name="id", data_type=Simple("UInt64")), Column(name="ts", data_type=DateTime()),
               *(Column(name=f"c{i}", data_type=Simple("String"), comment=f"column {i}", ttl="ts + INTERVAL 1 DAY")
                 for i in range(3)))
    return Table(name=f"t_{number}", database=database, columns=columns, order_by=("id",),
                 ttl="ts + INTERVAL 30 DAY", settings={"merge_with_ttl_timeout": "3600"},
                 indexes=(TableIndex(name="i_ts", expression="ts", type="minmax"),),
                 projections=(TableProjection(name="p", body="SELECT id, ts ORDER BY ts"),) if number % 2 else ())


def _populate(client: ClickHouseClient, database: str, count: int) -> None:
    client.command(f"CREATE DATABASE {database}")
    for number in range(count):
        client.command(render_create_table(_table(number, database), default_database=database),
                       settings=DDL_SETTINGS)
    client.command(render_create_view(View(name="v", select_sql=f"SELECT id FROM {database}.t_0"),
                                      default_database=database))


def test_same_number_of_queries_for_1_and_300_tables(client: ClickHouseClient) -> None:
    small, large = f"q1_{uuid.uuid4().hex[:10]}", f"q300_{uuid.uuid4().hex[:10]}"
    try:
        _populate(client, small, 1)
        _populate(client, large, 300)
        counts = {}
        for database, expected in ((small, 1), (large, 300)):
            counting = CountingClient(client)
            reality = introspect(counting, [database], database)
            assert len(reality.tables) == expected
            assert [v.name for v in reality.views.values()] == ["v"]
            counts[expected] = len(counting.sent)
            assert all(sql.lstrip().upper().startswith("SELECT") for sql in counting.sent)
        assert counts[1] == counts[300] == 4
        table = next(t for t in reality.tables.values() if t.name == "t_7")
        assert table.columns[2].ttl == "ts + toIntervalDay(1)"
        assert [p.name for p in table.projections] == ["p"]
    finally:
        for database in (small, large):
            client.command(f"DROP DATABASE IF EXISTS {database} SYNC")


def test_more_connections_read_the_same_in_a_constant_number_of_queries(client: ClickHouseClient) -> None:
    """With a side connection the other queries run beside the tables query; with a third one the tables query
    goes in two halves: the same map either way, and the number of queries still does not grow with tables."""
    database = f"split_{uuid.uuid4().hex[:10]}"
    helpers = [CountingClient(connect(client.url, use_database=False)) for _ in range(2)]
    try:
        _populate(client, database, 40)
        alone = introspect(client, [database], database)
        main = CountingClient(client)
        with_side = introspect(main, [database], database, side=helpers[0])
        assert with_side == alone
        assert len(main.sent) == 1 and len(helpers[0].sent) == 3
        main, helpers[0].sent = CountingClient(client), []
        halves = introspect(main, [database], database, side=helpers[0], half=helpers[1])
        assert halves == alone
        assert list(halves.tables) == list(alone.tables)
        assert (len(main.sent), len(helpers[0].sent), len(helpers[1].sent)) == (1, 3, 1)
    finally:
        for helper in helpers:
            helper.close()
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")


def test_prefetch_reads_in_the_background_once(clickhouse_server: RunningServer) -> None:
    database = f"pre_{uuid.uuid4().hex[:10]}"
    config = Config(clickhouse_config=ClickHouseConfig(
        host=clickhouse_server.host, host_port=clickhouse_server.http_port, db_name=database))
    with ClickHouseBackend.from_config(config) as backend:
        _populate(backend.client, database, 3)
        try:
            backend.prefetch()
            backend.prefetch()  # a second call while one is pending changes nothing
            backend.client.command(f"CREATE TABLE {database}.late (id UInt8) ENGINE = MergeTree ORDER BY id")
            prefetched = backend.introspect()
            assert sorted(t.name for t in prefetched.tables.values()) in (
                ["t_0", "t_1", "t_2"], ["late", "t_0", "t_1", "t_2"])
            assert "late" in {t.name for t in backend.introspect().tables.values()}  # later calls read afresh
        finally:
            backend.client.command(f"DROP DATABASE IF EXISTS {database} SYNC")


def test_prefetch_failure_is_raised_by_introspect() -> None:
    from muskox.errors import ConnectionFailed
    from muskox.testing.processes import free_port

    backend = ClickHouseBackend(parse_url(f"http://127.0.0.1:{free_port()}/db"), connect_timeout=1)
    backend.prefetch()  # never raises
    with pytest.raises(ConnectionFailed, match="refused the connection"):
        backend.introspect()
    backend.close()


def test_no_databases_means_no_queries(client: ClickHouseClient) -> None:
    counting = CountingClient(client)
    assert introspect(counting, [], "local").tables == {}
    assert counting.sent == []


def test_backend_reads_its_database_and_the_additional_ones(clickhouse_server: RunningServer) -> None:
    main, extra = f"main_{uuid.uuid4().hex[:10]}", f"extra_{uuid.uuid4().hex[:10]}"
    config = Config(clickhouse_config=ClickHouseConfig(
        host=clickhouse_server.host, host_port=clickhouse_server.http_port, db_name=main,
        additional_databases=[extra, "not_there"]))
    with ClickHouseBackend.from_config(config) as backend:
        for database in (main, extra):
            _populate(backend.client, database, 2)
        try:
            reality = backend.introspect()
            assert reality.default_database == main
            assert moose_keys(reality) == sorted(f"{db}_t_{n}" for db in (main, extra) for n in range(2))
            assert [t.name for t in backend.introspect([extra]).tables.values()] == ["t_0", "t_1"]
        finally:
            for database in (main, extra):
                backend.client.command(f"DROP DATABASE IF EXISTS {database} SYNC")


def test_schema_fetch_on_its_own_connections_reads_what_introspect_reads(client: ClickHouseClient) -> None:
    """The background reading (queries sent as each connection opens, the map built afterwards) gives the same map
    in the same five queries, and closes the three connections it opened."""
    from muskox_clickhouse.introspect import build_map, plain_columns_of
    from muskox_clickhouse.schema_rows import FetchedRows, SchemaFetch

    database = f"fetch_{uuid.uuid4().hex[:10]}"
    opened: list[ClosingClient] = []

    def open_client() -> ClickHouseClient:
        opened.append(ClosingClient(connect(client.url, use_database=False)))
        return opened[-1]

    try:
        _populate(client, database, 12)
        with SchemaFetch(open_client, [database, "not_there"]) as fetch:
            rows = FetchedRows(fetch.tables(), fetch.others())
        assert len(opened) == 3 and all(c.closed for c in opened)
        assert sorted(len(c.sent) for c in opened) == [1, 1, 3]
        expected = introspect(client, [database, "not_there"], database)
        assert build_map(rows, database) == expected
        assert build_map(rows, database, plain_columns_of(rows.others)) == expected
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")


def test_schema_fetch_raises_the_failure_and_closes_what_it_opened(client: ClickHouseClient) -> None:
    from muskox.errors import ConnectionFailed
    from muskox_clickhouse.schema_rows import SchemaFetch

    opened: list[ClosingClient] = []
    calls = itertools.count()

    def open_client() -> ClickHouseClient:  # called from three threads at once: the third call fails
        if next(calls) == 2:
            raise ConnectionFailed("the third connection was refused", "start the server")
        opened.append(ClosingClient(connect(client.url, use_database=False)))
        return opened[-1]

    with pytest.raises(ConnectionFailed, match="third connection"), SchemaFetch(open_client, ["default"]) as fetch:
        fetch.tables()
        fetch.others()
    assert len(opened) == 2 and all(c.closed for c in opened)


class ClosingClient(CountingClient):
    """A :class:`CountingClient` that remembers being closed."""

    closed = False

    def close(self) -> None:
        self.closed = True
        super().close()


def test_closing_the_backend_while_a_prefetch_thread_waits_leaves_the_thread_to_end_quietly() -> None:
    """Another thread runs, so the prefetch is a thread (no fork); the server it reaches never answers, so the
    backend is closed while the thread waits: the thread then ends on its own, with no error of its own."""
    import socket
    import threading

    failures: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        backend = ClickHouseBackend(parse_url(f"http://127.0.0.1:{silent.getsockname()[1]}/db"), connect_timeout=1)
        backend.prefetch()
        backend.close()
        for thread in threading.enumerate():
            if thread.name == "muskox-introspect":
                thread.join()
    finally:
        stop.set()
        other.join()
        silent.close()
        threading.excepthook = previous
    assert failures == []
