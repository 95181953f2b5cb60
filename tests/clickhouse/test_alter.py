"""Every operation applied to a real ClickHouse 26.9 through both drivers, then read back by introspection.

Each scenario applies its operations one by one through :class:`ClickHouseApplier`; after each one the
server's schema (``ClickHouseBackend.introspect``, normalized) must equal the expected schema (the in-memory
fold of the same operations, normalized). Data checks make sure type changes and raw mutations really ran.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from muskox.apply.executor import execute
from muskox.model import Column, InfraMap, Table, TableIndex, TableProjection
from muskox.model.operations import (
    AddTableColumn,
    AddTableIndex,
    AddTableProjection,
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropMaterializedView,
    DropTable,
    DropTableColumn,
    DropTableIndex,
    DropTableProjection,
    DropView,
    ModifySampleBy,
    ModifyTableColumn,
    ModifyTableSettings,
    ModifyTableTtl,
    Operation,
    RawSql,
    RemoveSampleBy,
    RenameTableColumn,
)
from muskox.plan.fold import apply as fold_apply
from muskox_clickhouse import ClickHouseBackend, ClickHouseServerError, connect, parse_url
from muskox_clickhouse.alter import Statement
from muskox_clickhouse.apply import (
    COLUMN_CHANGE_FIX,
    ClickHouseApplier,
    MutationFailed,
    MutationKilled,
    MutationTimeout,
)
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.type_text import parse_type
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.url import ClickHouseUrl
from tests.sync import wait_for

PROTOCOLS = ["http", "native"]


def col(name: str, type_name: str = "String", **options: Any) -> Column:
    return Column(name=name, data_type=parse_type(type_name), **options)


EVENTS = Table(name="events", order_by=("id",), columns=(
    col("id", "UInt64"),
    col("name", default="'anon'", comment="who"),
    col("score", "UInt32", codec="ZSTD(1)"),
    col("ts", "DateTime"),
))
INSERT_EVENTS = RawSql(sql=("INSERT INTO events VALUES (1, 'ann', 10, '2026-01-01 00:00:00'), "
                            "(2, 'bob', 20, '2026-01-02 00:00:00')",), description="seed")


@pytest.fixture(scope="module")
def admin(clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as client:
        yield client


def server_url(server: RunningServer, protocol: str, database: str) -> ClickHouseUrl:
    return attrs.evolve(parse_url(server.http_url if protocol == "http" else server.native_url), database=database)


class World:
    """A scratch database, an applier on it, and the schema expected after the operations applied so far."""

    def __init__(self, url: ClickHouseUrl, admin: ClickHouseClient) -> None:
        self.url = url
        self.database = url.database
        self.admin = admin
        self.applier = ClickHouseApplier(url, poll_interval=0.1)
        self.backend = ClickHouseBackend(url)
        self.databases = [self.database]
        self.expected = InfraMap(default_database=self.database)

    def also(self, database: str) -> str:
        """Another database the scenario touches (read back and dropped at the end)."""
        self.databases.append(database)
        return database

    def apply(self, *operations: Operation) -> None:
        """Apply each operation and check the server's schema after it."""
        for operation in operations:
            self.applier.apply(operation)
            self.expected = fold_apply(self.expected, operation)
            self.check(operation)

    def check(self, after: Operation | None = None) -> None:
        reality = self.backend.introspect(self.databases)
        actual = CLICKHOUSE.normalize_infra_map(attrs.evolve(reality, tables={
            key: attrs.evolve(t, life_cycle=self.expected.tables[key].life_cycle) if key in self.expected.tables
            else t for key, t in reality.tables.items()}))
        expected = CLICKHOUSE.normalize_infra_map(self.expected)
        context = f"after {after!r}"
        assert actual.tables == expected.tables, f"{context}: {_differences(actual.tables, expected.tables)}"
        assert actual.views == expected.views, context
        assert actual.materialized_views == expected.materialized_views, context

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.admin.query(sql)

    def close(self) -> None:
        self.applier.close()
        self.backend.close()
        for database in self.databases:
            self.admin.command(f"DROP DATABASE IF EXISTS {quote_identifier(database)} SYNC")


def _differences(actual: dict[str, Table], expected: dict[str, Table]) -> str:
    """What differs, field by field (pytest's own diff elides the interesting part)."""
    lines = [f"tables only on the server: {sorted(actual.keys() - expected.keys())}",
             f"tables only expected: {sorted(expected.keys() - actual.keys())}"]
    for key in actual.keys() & expected.keys():
        for field in attrs.fields(Table):
            left, right = getattr(actual[key], field.name), getattr(expected[key], field.name)
            if left != right:
                lines.append(f"{key}.{field.name}: server {left!r} != expected {right!r}")
    return "; ".join(lines)


@pytest.fixture(params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(clickhouse_server: RunningServer, admin: ClickHouseClient, protocol: str) -> Iterator[World]:
    scratch = World(server_url(clickhouse_server, protocol, f"alter_{uuid.uuid4().hex[:12]}"), admin)
    try:
        yield scratch
    finally:
        scratch.close()


# -- each operation type -------------------------------------------------------------------------------


def test_create_and_drop_table(world: World) -> None:
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS)
    assert world.rows(f"SELECT count() FROM {world.database}.events") == [(2,)]
    world.apply(DropTable(table="events"))
    assert world.rows(f"SELECT count() FROM system.tables WHERE database = '{world.database}'") == [(0,)]


def test_create_table_in_a_database_that_does_not_exist(world: World) -> None:
    other = world.also(f"{world.database}_other")
    world.apply(CreateTable(table=attrs.evolve(EVENTS, database=other)))
    assert world.rows(f"SELECT count() FROM system.databases WHERE name = '{other}'") == [(1,)]


def test_add_columns(world: World) -> None:
    world.apply(
        CreateTable(table=EVENTS), INSERT_EVENTS,
        AddTableColumn(table="events", column=col("referrer", nullable=True)),
        AddTableColumn(table="events", after_column="name", column=col(
            "country", "String", default="'xx'", comment="ISO code", codec="ZSTD(3)", ttl="ts + INTERVAL 10 YEAR")),
        AddTableColumn(table="events", after_column="score", column=col("double", "UInt64", materialized="score * 2")),
        AddTableColumn(table="events", after_column="ts", column=col("upper", alias="upper(name)")),
    )
    assert world.rows(f"SELECT referrer, country, double, upper FROM {world.database}.events ORDER BY id") == [
        (None, "xx", 20, "ANN"), (None, "xx", 40, "BOB")]


def test_drop_and_rename_columns(world: World) -> None:
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS, DropTableColumn(table="events", column_name="score"),
                RenameTableColumn(table="events", before_column_name="name", after_column_name="full_name"))
    world.applier.apply(DropTableColumn(table="events", column_name="no_such_column"))  # IF EXISTS: no error
    assert world.rows(f"SELECT full_name FROM {world.database}.events ORDER BY id") == [("ann",), ("bob",)]


def test_modify_column_types(world: World) -> None:
    score = EVENTS.columns[2]
    wide = attrs.evolve(score, data_type=parse_type("UInt64"))
    nullable = attrs.evolve(wide, nullable=True, codec=None)
    name = EVENTS.columns[1]
    low = attrs.evolve(name, data_type=parse_type("LowCardinality(String)"))
    world.apply(
        CreateTable(table=EVENTS), INSERT_EVENTS,
        ModifyTableColumn(table="events", before_column=score, after_column=wide),
        ModifyTableColumn(table="events", before_column=wide, after_column=nullable),
        ModifyTableColumn(table="events", before_column=name, after_column=low),
    )
    assert world.rows(f"SELECT name, score, toTypeName(score) FROM {world.database}.events ORDER BY id") == [
        ("ann", 10, "Nullable(UInt64)"), ("bob", 20, "Nullable(UInt64)")]


def test_modify_column_properties(world: World) -> None:
    name = EVENTS.columns[1]  # DEFAULT 'anon' COMMENT 'who'
    steps = [
        attrs.evolve(name, comment="the user"),  # comment only
        attrs.evolve(name, comment=None),  # comment removed
        attrs.evolve(name, default=None, comment=None),  # default removed
        attrs.evolve(name, default=None, materialized="'m'"),  # materialized added
        attrs.evolve(name, default="'d'", codec="ZSTD(1)", ttl="ts + INTERVAL 5 YEAR", comment="c"),  # kind switch
        attrs.evolve(name, default="'d'"),  # codec, TTL, comment removed; default kept
    ]
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS)
    before = name
    for after in steps:
        world.apply(ModifyTableColumn(table="events", before_column=before, after_column=after))
        before = after
    world.apply(AddTableColumn(table="events", after_column="ts", column=col("u", alias="upper(name)")))
    world.apply(ModifyTableColumn(table="events", before_column=col("u", alias="upper(name)"), after_column=col("u")))


def test_modify_settings(world: World) -> None:
    world.apply(
        CreateTable(table=EVENTS),
        ModifyTableSettings(table="events", after_settings={"merge_with_ttl_timeout": "3600",
                                                            "ttl_only_drop_parts": "true"}),
        ModifyTableSettings(table="events", before_settings={"merge_with_ttl_timeout": "3600",
                                                             "ttl_only_drop_parts": "true"},
                            after_settings={"merge_with_ttl_timeout": "7200", "storage_policy": "default"}),
    )
    create = world.rows(f"SELECT create_table_query FROM system.tables WHERE database = '{world.database}'")[0][0]
    assert "merge_with_ttl_timeout = 7200" in create
    assert "storage_policy = 'default'" in create
    assert "ttl_only_drop_parts" not in create


def test_modify_and_remove_ttl(world: World) -> None:
    world.apply(
        CreateTable(table=EVENTS), INSERT_EVENTS,
        ModifyTableTtl(table="events", after="ts + toIntervalYear(10)"),
        ModifyTableTtl(table="events", before="ts + toIntervalYear(10)", after="ts + INTERVAL 20 YEAR"),
        ModifyTableTtl(table="events", before="ts + INTERVAL 20 YEAR"),
    )


def test_indexes_and_projections(world: World) -> None:
    bloom = TableIndex(name="by_name", expression="name", type="bloom_filter", arguments=("0.01",), granularity=2)
    minmax = TableIndex(name="score_range", expression="score * 2", type="minmax")
    projection = TableProjection(name="by_score", body="SELECT id, score ORDER BY score")
    world.apply(
        CreateTable(table=EVENTS), INSERT_EVENTS,
        AddTableIndex(table="events", index=bloom), AddTableIndex(table="events", index=minmax),
        AddTableProjection(table="events", projection=projection),
        DropTableIndex(table="events", index_name="by_name"),
        DropTableProjection(table="events", projection_name="by_score"),
    )


def test_sample_by(world: World) -> None:
    sampled = attrs.evolve(EVENTS, order_by="(id, intHash32(id))")
    world.apply(
        CreateTable(table=sampled),
        ModifySampleBy(table="events", expression="intHash32(id)"),
        RemoveSampleBy(table="events"),
    )


def test_views_and_materialized_views(world: World) -> None:
    views = world.also(f"{world.database}_views")
    target = Table(name="totals", order_by=("name",), columns=(col("name"), col("score", "UInt32")))
    world.apply(
        CreateTable(table=EVENTS), CreateTable(table=target),
        CreateView(name="recent", select_sql="SELECT id, name FROM events WHERE ts > '2026-01-01 12:00:00'"),
        CreateView(name="elsewhere", database=views, select_sql=f"SELECT id FROM {world.database}.events"),
        CreateMaterializedView(name="to_totals", select_sql="SELECT name, score FROM events",
                               target_table="totals"),
        INSERT_EVENTS,
    )
    assert world.rows(f"SELECT name FROM {world.database}.recent") == [("bob",)]
    assert world.rows(f"SELECT name, score FROM {world.database}.totals ORDER BY name") == [("ann", 10), ("bob", 20)]
    world.apply(DropView(name="recent"), DropView(name="elsewhere", database=views),
                DropMaterializedView(name="to_totals"))


def test_raw_sql_runs_in_the_default_database_and_waits_for_its_mutation(world: World) -> None:
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS, RawSql(sql=(
        "ALTER TABLE events UPDATE score = score + 1 + sleepEachRow(0.3) WHERE 1",  # slow: must be waited for
        "ALTER TABLE events DELETE WHERE id = 2",
    ), description="backfill"))
    assert world.rows(f"SELECT id, score FROM {world.database}.events") == [(1, 11)]


def test_statements_are_logged_masked(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="muskox.sql")
    world.apply(CreateTable(table=EVENTS),
                RawSql(sql=("SELECT 'https://alice:hunter2@example.com/x.csv'",), description="secret"))
    logged = [r.getMessage() for r in caplog.records if r.name == "muskox.sql"]
    assert logged[0] == f"CREATE DATABASE IF NOT EXISTS `{world.database}`"
    assert logged[1].startswith(f"CREATE TABLE IF NOT EXISTS `{world.database}`.`events`")
    assert logged[2] == "SELECT 'https://alice:****@example.com/x.csv'"
    assert all(r.levelname == "INFO" for r in caplog.records if r.name == "muskox.sql")


# -- awkward identifiers -------------------------------------------------------------------------------


AWKWARD_TABLE = Table(name="order", order_by=("select",), columns=(
    col("select", "UInt32"),
    col("ü space", default="'ü'"),
    col("it's"),
    col("back`tick", "UInt8"),
))


@pytest.fixture
def awkward_world(clickhouse_server: RunningServer, admin: ClickHouseClient, protocol: str) -> Iterator[World]:
    name = f"ält db {uuid.uuid4().hex[:8]} it's `q`"
    scratch = World(server_url(clickhouse_server, protocol, name), admin)
    try:
        yield scratch
    finally:
        scratch.close()


def test_awkward_identifiers(awkward_world: World) -> None:
    world = awkward_world
    table = quote_identifier("order")
    tick = AWKWARD_TABLE.columns[3]
    index = TableIndex(name="idx `ü' x", expression=quote_identifier("it's"), type="bloom_filter")
    its = quote_identifier("it's")
    projection = TableProjection(name="proj ü", body=f"SELECT {quote_identifier('select')}, {its} ORDER BY {its}")
    world.apply(
        CreateTable(table=AWKWARD_TABLE),
        RawSql(sql=(f"INSERT INTO {table} VALUES (1, 'a', 'b', 3)",), description="seed"),
        AddTableColumn(table="order", after_column="it's", column=col("new `col` 'x'", comment="it's ü")),
        RenameTableColumn(table="order", before_column_name="ü space", after_column_name="ünï 2"),
        ModifyTableColumn(table="order", before_column=tick,
                          after_column=attrs.evolve(tick, data_type=parse_type("UInt16"), comment="wider 'one'")),
        AddTableIndex(table="order", index=index),
        AddTableProjection(table="order", projection=projection),
        ModifyTableSettings(table="order", after_settings={"merge_with_ttl_timeout": "3600"}),
        CreateView(name="view `ü'", select_sql=f"SELECT {quote_identifier('ünï 2')} FROM {table}"),
        DropTableIndex(table="order", index_name=index.name),
        DropTableProjection(table="order", projection_name=projection.name),
        DropTableColumn(table="order", column_name="it's"),
        DropView(name="view `ü'"),
    )
    rows = world.rows(f"SELECT {quote_identifier('ünï 2')}, {quote_identifier('back`tick')} "
                      f"FROM {quote_identifier(world.database)}.{table}")
    assert rows == [("a", 3)]


# -- failed, slow and killed mutations -----------------------------------------------------------------


def _mutations(world: World, table: str) -> list[tuple[Any, ...]]:
    return world.rows("SELECT mutation_id, is_done, latest_fail_reason, command FROM system.mutations "
                      f"WHERE database = {quote_string(world.database)} AND table = {quote_string(table)} "
                      "AND NOT is_done")


def test_failing_type_change_names_the_kill_statement(world: World) -> None:
    text = col("code")
    world.apply(CreateTable(table=Table(name="codes", order_by=("id",), columns=(col("id", "UInt32"), text))),
                RawSql(sql=("INSERT INTO codes VALUES (1, '42'), (2, 'abc')",), description="seed"))
    change = ModifyTableColumn(table="codes", before_column=text, after_column=col("code", "UInt32"))
    with pytest.raises(MutationFailed) as info:
        world.applier.apply(change)
    error = info.value
    message = str(error)
    assert "\n" not in message
    assert "Cannot parse string 'abc' as UInt32" in message
    assert "(CANNOT_PARSE_TEXT)" in message
    kill = re.search(r"KILL MUTATION WHERE database = '[^']*' AND table = 'codes' AND mutation_id = '[^']+'", message)
    assert kill is not None
    assert kill.group(0) == error.kill_statement
    assert error.kill_statement == (f"KILL MUTATION WHERE database = '{world.database}' AND table = 'codes' "
                                    f"AND mutation_id = '{error.mutation_id}'")
    assert message.endswith(f"Fix: run that KILL MUTATION, then {COLUMN_CHANGE_FIX}")
    assert error.command == "MODIFY COLUMN IF EXISTS `code` UInt32"

    [(mutation_id, is_done, reason, _command)] = _mutations(world, "codes")
    assert (mutation_id, is_done) == (error.mutation_id, 0)
    assert "Cannot parse string 'abc' as UInt32" in reason

    world.admin.command(error.kill_statement)
    assert _mutations(world, "codes") == []
    # the documented way out: revert the column change in code (a ModifyTableColumn back to String)
    world.applier.apply(ModifyTableColumn(table="codes", before_column=col("code", "UInt32"), after_column=text))
    assert world.rows(f"SELECT code FROM {world.database}.codes ORDER BY id") == [("42",), ("abc",)]


def test_raw_type_change_the_server_waits_for_is_reported_too(world: World) -> None:
    """Raw SQL keeps the server's own ``alter_sync``: the server waits and fails with UNFINISHED (341)."""
    world.apply(CreateTable(table=Table(name="codes", order_by=("id",), columns=(col("id", "UInt32"), col("code")))),
                RawSql(sql=("INSERT INTO codes VALUES (1, 'abc')",), description="seed"))
    with pytest.raises(MutationFailed) as info:
        world.applier.apply(RawSql(sql=("ALTER TABLE codes MODIFY COLUMN code UInt32",), description="raw"))
    assert "Cannot parse string 'abc' as UInt32" in str(info.value)
    assert str(info.value).endswith("Fix: run that KILL MUTATION, then fix the statement (or the data it fails on) "
                                    "and apply again")
    world.admin.command(info.value.kill_statement)


def test_backend_apply(clickhouse_server: RunningServer, admin: ClickHouseClient, protocol: str) -> None:
    database = f"alter_{uuid.uuid4().hex[:12]}"
    backend = ClickHouseBackend(server_url(clickhouse_server, protocol, database))
    try:
        backend.apply(CreateTable(table=EVENTS))
        backend.apply(AddTableColumn(table="events", after_column="id", column=col("extra")))
        [table] = backend.introspect().tables.values()
        assert [c.name for c in table.columns] == ["id", "extra", "name", "score", "ts"]
    finally:
        backend.close()
        backend.close()
        admin.command(f"DROP DATABASE IF EXISTS {database} SYNC")


SLOW_UPDATE = RawSql(sql=("ALTER TABLE events UPDATE name = concat(name, toString(sleepEachRow(1))) WHERE 1",),
                     description="slow")


def test_mutation_timeout(world: World) -> None:
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS)
    world.applier.mutation_timeout = 0.3
    started = time.monotonic()
    with pytest.raises(MutationTimeout) as info:
        world.applier.apply(SLOW_UPDATE)
    assert time.monotonic() - started < 1.5
    message = str(info.value)
    assert "did not finish within 0.3 s" in message
    assert info.value.kill_statement in message
    assert "\n" not in message
    assert [row[0] for row in _mutations(world, "events")] == [info.value.mutation_id]
    world.admin.command(info.value.kill_statement)


class SeamApplier(ClickHouseApplier):
    """An applier that runs the test's callbacks at its seams: once a polled statement was accepted (before the
    first poll of ``system.mutations``) and after each poll; it records what each poll found."""

    def __init__(self, url: ClickHouseUrl, *, sent: Callable[[], None] = lambda: None,
                 polled: Callable[[int], None] = lambda count: None) -> None:
        super().__init__(url, poll_interval=0.1)
        self.on_sent = sent
        self.on_polled = polled
        self.polls: list[list[tuple[str, bool]]] = []

    def _sent(self, statement: Statement) -> None:
        self.on_sent()

    def _polled(self, statement: Statement, mutations: tuple[Any, ...]) -> None:
        self.polls.append([(m.mutation_id, m.is_done) for m in mutations])
        self.on_polled(len(self.polls))


UPDATE = RawSql(sql=("ALTER TABLE events UPDATE name = concat(name, '!') WHERE 1",), description="update")


def _seam_applier(world: World, **callbacks: Any) -> SeamApplier:
    """Replace the world's applier by a :class:`SeamApplier` (the world closes it at the end)."""
    applier = SeamApplier(world.url, **callbacks)
    world.applier.close()
    world.applier = applier
    return applier


@contextlib.contextmanager
def _mutations_held(world: World, table: str) -> Iterator[None]:
    """No mutation of ``table`` can finish inside the block (merges, mutations included, are stopped)."""
    name = f"{quote_identifier(world.database)}.{quote_identifier(table)}"
    world.admin.command(f"SYSTEM STOP MERGES {name}")
    try:
        yield
    finally:
        world.admin.command(f"SYSTEM START MERGES {name}")


def _kill(world: World, mutation_id: str) -> None:
    world.admin.command(f"KILL MUTATION WHERE database = {quote_string(world.database)} AND mutation_id = "
                        f"{quote_string(mutation_id)}")


def test_mutation_killed_before_the_first_poll(world: World) -> None:
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS)
    killed: list[str] = []

    def kill_it() -> None:  # the ALTER has returned; the applier has not looked at system.mutations yet
        [(mutation_id, *_rest)] = _mutations(world, "events")
        _kill(world, mutation_id)
        killed.append(mutation_id)

    applier = _seam_applier(world, sent=kill_it)
    with _mutations_held(world, "events"), pytest.raises(MutationKilled) as info:
        applier.apply(UPDATE)
    assert len(killed) == 1
    assert applier.polls == [[]]  # the first poll found it gone
    error = info.value
    assert error.mutation_id == ""  # never seen, so its id is unknown
    assert str(error).startswith(f"the mutation started by UPDATE name = concat(name, '!') WHERE 1 on "
                                 f"`{world.database}`.`events` was killed before it finished")
    assert world.rows(f"SELECT name FROM {world.database}.events ORDER BY id") == [("ann",), ("bob",)]


def test_mutation_killed_after_the_first_poll(world: World) -> None:
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS)
    first_poll = threading.Event()
    applier = _seam_applier(world, polled=lambda count: first_poll.set())
    errors: list[BaseException] = []

    def run() -> None:
        try:
            applier.apply(UPDATE)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    with _mutations_held(world, "events"):
        thread = threading.Thread(target=run)
        thread.start()
        try:
            assert first_poll.wait(60), "the applier never polled"
            [(mutation_id, *_rest)] = _mutations(world, "events")
            _kill(world, mutation_id)
        finally:
            thread.join(60)
    assert not thread.is_alive()
    assert applier.polls[0] == [(mutation_id, False)]  # seen unfinished (mutations are held), then gone
    [error] = errors
    assert isinstance(error, MutationKilled)
    assert error.mutation_id == mutation_id
    assert str(error).startswith(f"mutation '{mutation_id}' (UPDATE name = concat(name, '!') WHERE 1) on "
                                 f"`{world.database}`.`events` was killed before it finished")


def test_mutation_finished_before_the_first_poll(world: World) -> None:
    world.apply(CreateTable(table=EVENTS), INSERT_EVENTS)

    def finish_it() -> None:  # the ALTER has returned; let its mutation run to the end before the first poll
        world.admin.command(f"SYSTEM START MERGES {quote_identifier(world.database)}.events")
        wait_for(lambda: world.rows(f"SELECT countIf(is_done), count() FROM system.mutations "
                                    f"WHERE database = {quote_string(world.database)}") == [(1, 1)],
                 "the mutation to finish")

    applier = _seam_applier(world, sent=finish_it)
    with _mutations_held(world, "events"):
        applier.apply(UPDATE)
    [[(mutation_id, is_done)]] = applier.polls  # one poll, which found it done
    assert mutation_id and is_done
    assert world.rows(f"SELECT name FROM {world.database}.events ORDER BY id") == [("ann!",), ("bob!",)]


def test_statements_that_start_no_mutation_are_not_taken_for_killed_ones(world: World) -> None:
    alias = col("shout", alias="upper(name)")
    world.apply(CreateTable(table=attrs.evolve(EVENTS, columns=(*EVENTS.columns, alias))), INSERT_EVENTS)
    world.admin.command(f"CREATE TABLE {world.database}.memo (id UInt64) ENGINE = Memory")
    world.admin.command(f"INSERT INTO {world.database}.memo VALUES (1)")
    applier = _seam_applier(world)
    applier.apply(RawSql(sql=("ALTER TABLE events DROP COLUMN shout",), description="alias: no data"))
    applier.apply(RawSql(sql=("ALTER TABLE memo DELETE WHERE 1",), description="Memory: done at once"))
    applier.apply(DropTableColumn(table="events", column_name="no_such_column"))
    assert applier.polls == [[], [], []]
    assert world.rows(f"SELECT count() FROM {world.database}.memo") == [(0,)]


def test_a_rejected_alter_is_the_server_error(world: World) -> None:
    world.apply(CreateTable(table=EVENTS))
    with pytest.raises(ClickHouseServerError, match=r"nope"):
        world.applier.apply(RenameTableColumn(table="events", before_column_name="nope", after_column_name="x"))


# -- concurrency ---------------------------------------------------------------------------------------


def _table_plan(index: int) -> list[Operation]:
    name = f"t{index}"
    table = attrs.evolve(EVENTS, name=name)
    score = EVENTS.columns[2]
    return [
        CreateTable(table=table),
        RawSql(sql=(f"INSERT INTO {name} VALUES ({index}, 'n', {index}, now())",), description=f"seed {name}"),
        AddTableColumn(table=name, after_column="ts", column=col("extra", nullable=True)),
        ModifyTableColumn(table=name, before_column=score,
                          after_column=attrs.evolve(score, data_type=parse_type("Int64"))),
        RenameTableColumn(table=name, before_column_name="name", after_column_name="label"),
        AddTableIndex(table=name, index=TableIndex(name="ix", expression="label", type="bloom_filter")),
        DropTableColumn(table=name, column_name="extra"),
        ModifyTableSettings(table=name, after_settings={"merge_with_ttl_timeout": str(3600 + index)}),
    ]


def test_eight_threads_on_eight_tables_through_one_applier(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import muskox_clickhouse.apply as apply_module

    opened: list[tuple[str, ClickHouseClient]] = []
    closed: list[ClickHouseClient] = []
    real_connect: Callable[..., ClickHouseClient] = connect  # what muskox_clickhouse.apply calls

    def recording_connect(*args: Any, **kwargs: Any) -> ClickHouseClient:
        client = real_connect(*args, **kwargs)
        real_close = client.close

        def close() -> None:
            closed.append(client)
            real_close()

        client.close = close  # type: ignore[method-assign]
        opened.append((threading.current_thread().name, client))
        return client

    monkeypatch.setattr(apply_module, "connect", recording_connect)
    plans = [_table_plan(i) for i in range(8)]
    world.apply(*(operation for plan in plans for operation in plan[:2]))  # tables and rows, one by one
    # the tables' remaining steps interleaved: eight independent operations are ready at every moment
    rest = [plan[step] for step in range(2, len(plans[0])) for plan in plans]
    report = execute(rest, world.applier.apply, parallelism=8)
    assert report.ok, report.failed
    for operation in rest:
        world.expected = fold_apply(world.expected, operation)
    world.check()
    for index in range(8):
        assert world.rows(f"SELECT label, score, toTypeName(score) FROM {world.database}.t{index}") == [
            ("n", index, "Int64")]
    pool_threads = {thread for thread, _ in opened if thread.startswith("muskox-apply")}
    assert len(pool_threads) >= 2, pool_threads
    first_run = {id(c) for thread, c in opened if thread.startswith("muskox-apply")}
    # a later run's threads open their own connections; those of the finished threads are closed then
    report = execute([DropTable(table=f"t{index}") for index in range(8)], world.applier.apply, parallelism=8)
    assert report.ok, report.failed
    assert first_run <= {id(c) for c in closed}
    world.applier.close()
    assert {id(c) for _, c in opened} == {id(c) for c in closed}
