"""Render → create on a real ClickHouse 26.9 → introspect → normalize: declared and introspected tables agree.

The property runs through both drivers (HTTP via clickhouse-connect, native via asynch), each example in a
fresh database that is dropped afterwards. Hand-written cases cover every engine, every column option,
awkward names, views and materialized views.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from muskox.model import (
    AggregatingMergeTree,
    CollapsingMergeTree,
    Column,
    InfraMap,
    LifeCycle,
    MaterializedView,
    MergeTree,
    OtherEngine,
    ReplacingMergeTree,
    Replication,
    SummingMergeTree,
    Table,
    TableIndex,
    TableProjection,
    VersionedCollapsingMergeTree,
    View,
)
from muskox.model.engines import IntegrationEngine
from muskox.model.types import (
    Array,
    DateTime,
    Enum,
    EnumMember,
    Json,
    JsonTypedPath,
    LowCardinality,
    Map,
    Nested,
    Simple,
    TupleElement,
)
from muskox.testing.strategies import tables
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.create_parser import parse_create, parse_engine_full
from muskox_clickhouse.ddl import (
    DDL_SETTINGS,
    render_create_materialized_view,
    render_create_table,
    render_create_view,
    render_drop_table,
    render_drop_view,
)
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.normalize import normalize_table
from muskox_clickhouse.introspect import introspect
from muskox_clickhouse.local import RunningServer

PROTOCOLS = ["http", "native"]
#: Hypothesis examples per driver (two drivers: 400 server round trips per run).
EXAMPLES_PER_DRIVER = 200


@pytest.fixture(scope="module")
def clients(clickhouse_server: RunningServer) -> Iterator[dict[str, ClickHouseClient]]:
    opened = {"http": connect(parse_url(clickhouse_server.http_url), use_database=False),
              "native": connect(parse_url(clickhouse_server.native_url), use_database=False)}
    try:
        yield opened
    finally:
        for client in opened.values():
            client.close()


class Scratch:
    """A fresh database on one client, dropped when the block ends."""

    def __init__(self, client: ClickHouseClient) -> None:
        self.client = client
        self.database = f"rt_{uuid.uuid4().hex[:16]}"

    def __enter__(self) -> Scratch:
        self.client.command(f"CREATE DATABASE {self.database}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.command(f"DROP DATABASE IF EXISTS {self.database} SYNC")

    def create(self, *statements: str) -> None:
        for statement in statements:
            self.client.command(statement, settings=DDL_SETTINGS)

    def introspect(self) -> InfraMap:
        return introspect(self.client, [self.database], self.database)


def round_trip(client: ClickHouseClient, declared: Table) -> None:
    """Create ``declared`` in a fresh database and check that it reads back equal after normalization."""
    with Scratch(client) as scratch:
        ddl = render_create_table(declared, default_database=scratch.database)
        scratch.create(ddl)
        reality = scratch.introspect()
        assert len(reality.tables) == 1, ddl
        [(statement, engine_full)] = client.query(
            f"SELECT create_table_query, engine_full FROM system.tables WHERE database = '{scratch.database}'")
        assert parse_engine_full(engine_full) == attrs.evolve(parse_create(statement).clauses, comment=None)
        found = next(iter(reality.tables.values()))
        assert found.name == declared.name
        found = attrs.evolve(found, life_cycle=declared.life_cycle)  # not introspectable: kept from state
        expected = normalize_table(declared, default_database=scratch.database)
        actual = normalize_table(found, default_database=scratch.database)
        assert actual == expected, _explain(ddl, expected, actual)


def _explain(ddl: str, expected: Table, actual: Table) -> str:
    lines = [f"DDL: {ddl}"]
    for field in attrs.fields(Table):
        left, right = getattr(expected, field.name), getattr(actual, field.name)
        if left != right:
            if field.name == "columns":
                for a, b in zip(left, right, strict=False):
                    if a != b:
                        lines.append(f"column declared:     {a}\ncolumn introspected: {b}")
                if len(left) != len(right):
                    lines.append(f"column count {len(left)} != {len(right)}")
            else:
                lines.append(f"{field.name}: declared {left!r} != introspected {right!r}")
    return "\n".join(lines)


# -- the property ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(max_examples=EXAMPLES_PER_DRIVER, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declared=tables())
def test_generated_tables_round_trip(clients: dict[str, ClickHouseClient], protocol: str, declared: Table) -> None:
    round_trip(clients[protocol], declared)


# -- hand-written tables --------------------------------------------------------------------------------

ID = Column(name="id", data_type=Simple("UInt64"))
TS = Column(name="ts", data_type=DateTime())
SIGN = Column(name="sign", data_type=Simple("Int8"))
VER = Column(name="ver", data_type=Simple("UInt32"))
DELETED = Column(name="deleted", data_type=Simple("UInt8"))
AMOUNT = Column(name="amount", data_type=Simple("Float64"))
BASE = (ID, TS, SIGN, VER, DELETED, AMOUNT)


def _table(name: str = "t", **options: object) -> Table:
    fields: dict[str, object] = {"name": name, "columns": BASE, "order_by": ("id", "ts"), **options}
    return Table(**fields)  # type: ignore[arg-type]


ENGINE_CASES = {
    "MergeTree": _table(engine=MergeTree()),
    "ReplacingMergeTree": _table(engine=ReplacingMergeTree()),
    "ReplacingMergeTree(ver)": _table(engine=ReplacingMergeTree(ver="ver")),
    "ReplacingMergeTree(ver, is_deleted)": _table(engine=ReplacingMergeTree(ver="ver", is_deleted="deleted")),
    "SummingMergeTree": _table(engine=SummingMergeTree()),
    "SummingMergeTree(columns)": _table(engine=SummingMergeTree(columns=("amount", "ver"))),
    "AggregatingMergeTree": _table(engine=AggregatingMergeTree()),
    "CollapsingMergeTree": _table(engine=CollapsingMergeTree(sign="sign")),
    "VersionedCollapsingMergeTree": _table(engine=VersionedCollapsingMergeTree(sign="sign", ver="ver")),
    "ReplicatedMergeTree": _table(engine=MergeTree(replication=Replication(
        keeper_path="/clickhouse/tables/{database}/{table}", replica_name="r1"))),
    "ReplicatedReplacingMergeTree": _table(engine=ReplacingMergeTree(ver="ver", replication=Replication(
        keeper_path="/muskox/replacing/{table}", replica_name="r2"))),
    "ReplicatedSummingMergeTree": _table(engine=SummingMergeTree(columns=("amount",), replication=Replication(
        keeper_path="/muskox/summing", replica_name="r1"))),
    "ReplicatedAggregatingMergeTree": _table(engine=AggregatingMergeTree(replication=Replication(
        keeper_path="/muskox/aggregating", replica_name="r1"))),
    "ReplicatedCollapsingMergeTree": _table(engine=CollapsingMergeTree(sign="sign", replication=Replication(
        keeper_path="/muskox/collapsing", replica_name="r1"))),
    "ReplicatedVersionedCollapsingMergeTree": _table(engine=VersionedCollapsingMergeTree(
        sign="sign", ver="ver", replication=Replication(keeper_path="/muskox/versioned", replica_name="r1"))),
    "Memory": _table(engine=OtherEngine(name="Memory"), order_by=()),
    "Log": _table(engine=OtherEngine(name="Log"), order_by=()),
    "Null": _table(engine=OtherEngine(name="Null"), order_by=()),
    "KeeperMap": _table(engine=OtherEngine(name="KeeperMap", arguments="'/muskox_rt/{table}_km'"), order_by=(),
                        primary_key_expression="id"),
    "Merge": _table(engine=IntegrationEngine(name="Merge", fields=(("source_database", "some_database"),
                                                                   ("tables_regexp", "^events"))), order_by=()),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", list(ENGINE_CASES))
def test_every_engine(clients: dict[str, ClickHouseClient], protocol: str, case: str) -> None:
    table = ENGINE_CASES[case]
    if case == "KeeperMap":  # one keeper path per run: the in-process keeper outlives dropped tables briefly
        engine = OtherEngine(name="KeeperMap", arguments=f"'/muskox_rt/{uuid.uuid4().hex}'")
        table = attrs.evolve(table, engine=engine)
    round_trip(clients[protocol], table)


COLUMN_CASES = [
    Column(name="d", data_type=Simple("String"), default="'x'"),
    Column(name="d2", data_type=Simple("UInt64"), default="id * 2 + 1"),
    Column(name="m", data_type=Simple("String"), materialized="toString(id)"),
    Column(name="a", data_type=Simple("UInt64"), alias="id + 1"),
    Column(name="c", data_type=Simple("String"), comment="it's \\ a \"comment\"\nwith a newline"),
    Column(name="k", data_type=Simple("UInt32"), codec="Delta, ZSTD"),
    Column(name="k2", data_type=Simple("Float64"), codec="CODEC(Gorilla, LZ4HC)"),
    Column(name="k3", data_type=Simple("Int16"), codec="T64, ZSTD(5)"),
    Column(name="k4", data_type=Array(Simple("UInt32")), codec="Delta, LZ4"),
    Column(name="l", data_type=Simple("String"), ttl="ts + INTERVAL 1 DAY"),
    Column(name="l2", data_type=Simple("UInt8"), ttl="ts + interval 2 week", default="7"),
    Column(name="n", data_type=Simple("String"), nullable=True, default="NULL", comment="nullable"),
    Column(name="lc", data_type=LowCardinality(Simple("String")), nullable=True),
    Column(name="lc2", data_type=LowCardinality(Simple("String")), codec="ZSTD(3)"),
    Column(name="e", data_type=Enum(8, (EnumMember("b", 2), EnumMember("a", 1), EnumMember("it's", -3)))),
    Column(name="mp", data_type=Map(LowCardinality(Simple("String")), Array(Simple("Float64")))),
    Column(name="ns", data_type=Nested((TupleElement("x", Simple("String")), TupleElement("y z", Simple("Int32"))))),
    Column(name="j", data_type=Json(max_dynamic_paths=16, typed_paths=(JsonTypedPath("b.c", Simple("String")),
                                                                      JsonTypedPath("a", Simple("UInt32"))),
                                    skip_paths=("z", "tmp"), skip_regexps=("x.*",))),
    Column(name="everything", data_type=Simple("Int64"), default="-1", comment="all", codec="ZSTD(1)",
           ttl="ts + toIntervalMonth(1)"),
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_column_option(clients: dict[str, ClickHouseClient], protocol: str) -> None:
    round_trip(clients[protocol], _table(columns=(*BASE, *COLUMN_CASES)))


TABLE_OPTION_CASES = {
    "partition, ttl, settings": _table(partition_by="toYYYYMM(ts)", ttl="ts + INTERVAL 30 DAY DELETE",
                                       settings={"index_granularity": "4096", "merge_with_ttl_timeout": "3600",
                                                 "ttl_only_drop_parts": "true", "storage_policy": "default"}),
    "primary key expression": _table(primary_key_expression="id"),
    "primary key from columns": _table(columns=(attrs.evolve(ID, primary_key=True), *BASE[1:])),
    "primary key equal to order by": _table(primary_key_expression="(id, ts)"),
    "primary key only": _table(order_by=(), columns=(attrs.evolve(ID, primary_key=True), *BASE[1:])),
    "order by tuple()": _table(order_by="tuple()"),
    "empty order by": _table(order_by=()),
    "order by expression": _table(order_by="(id, intHash32(id))", sample_by="intHash32(id)"),
    "order by single expression": _table(order_by="toStartOfDay(ts)", partition_by="(id % 4)"),
    "ttl with where and move": _table(ttl="ts + interval 1 month, ts + INTERVAL '2 days' DELETE WHERE sign = -1"),
    "indexes and projections": _table(
        indexes=(TableIndex(name="idx id", expression="id * 2", type="bloom_filter", arguments=("0.01",),
                            granularity=4),
                 TableIndex(name="i2", expression="lower(toString(amount))", type="ngrambf_v1",
                            arguments=("3", "256", "2", "0")),
                 TableIndex(name="i3", expression="ts", type="minmax")),
        projections=(TableProjection(name="by ts", body="SELECT id, ts ORDER BY ts"),
                     TableProjection(name="totals", body="select id, sum(amount) group by id"))),
    "settings with defaults": _table(settings={"index_granularity": "8192",
                                               "enable_mixed_granularity_parts": "1"}),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", list(TABLE_OPTION_CASES))
def test_table_options(clients: dict[str, ClickHouseClient], protocol: str, case: str) -> None:
    round_trip(clients[protocol], TABLE_OPTION_CASES[case])


AWKWARD = ["events_2024", "tbl_0", "order", "select", "名前", "naïve", "with space", "quo'te", "back`tick",
           'dou"ble', "back\\slash", "émoji_🦬", "0starts"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_table_and_column_names(clients: dict[str, ClickHouseClient], protocol: str, name: str) -> None:
    column = Column(name=name, data_type=Simple("String"), default="'d'", comment=name)
    table = Table(name=name, columns=(ID, column, TS), order_by=(name, "id"), partition_by=f"length(`{name}`)"
                  if "`" not in name and "\\" not in name else None,
                  indexes=(TableIndex(name=name, expression="id", type="minmax"),),
                  projections=(TableProjection(name=name, body="SELECT id ORDER BY id"),),
                  engine=ReplacingMergeTree(ver="id") if name == "order" else MergeTree())
    if isinstance(table.engine, ReplacingMergeTree):
        table = attrs.evolve(table, projections=())  # ReplacingMergeTree refuses projections by default
    round_trip(clients[protocol], table)


# -- views ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_views_and_materialized_views(clients: dict[str, ClickHouseClient], protocol: str) -> None:
    client = clients[protocol]
    with Scratch(client) as scratch:
        db = scratch.database
        source = Table(name="source events", columns=(ID, TS, Column(name="order", data_type=Simple("String"))),
                       order_by=("id",))
        target = Table(name="daily", columns=(ID, Column(name="n", data_type=Simple("UInt64"))),
                       order_by=("id",), engine=SummingMergeTree())
        views = [
            View(name="v plain", select_sql=f"SELECT id, `order` FROM `{db}`.`source events` WHERE id>1"),
            View(name="select", select_sql=f"select id, ts + interval 1 day as t from {db}.`source events`",
                 database=db),
        ]
        mvs = [MaterializedView(
            name="to daily", target_table="daily",
            select_sql=f"SELECT id, count() AS n FROM {db}.`source events` where `order` = 'x' or id between 1 and 5"
                       " GROUP BY id")]
        scratch.create(render_create_table(source, default_database=db),
                       render_create_table(target, default_database=db),
                       *(render_create_view(v, default_database=db) for v in views),
                       *(render_create_materialized_view(m, default_database=db) for m in mvs))
        reality = scratch.introspect()
        assert sorted(v.name for v in reality.views.values()) == sorted(v.name for v in views)
        assert [m.name for m in reality.materialized_views.values()] == ["to daily"]
        assert not any(name.startswith(".") for name in reality.tables)
        declared = InfraMap.of(db, tables=[source, target], views=views, materialized_views=mvs)
        lifecycles = {k: t.life_cycle for k, t in declared.tables.items()}
        reality = attrs.evolve(reality, tables={k: attrs.evolve(t, life_cycle=lifecycles[k])
                                                for k, t in reality.tables.items()})
        assert CLICKHOUSE.normalize_infra_map(reality) == CLICKHOUSE.normalize_infra_map(declared)

        scratch.create(render_drop_view("to daily", database=db), render_drop_view("v plain", database=db),
                       render_drop_table("daily", database=db))
        after = scratch.introspect()
        assert [v.name for v in after.views.values()] == ["select"]
        assert after.materialized_views == {}
        assert [t.name for t in after.tables.values()] == ["source events"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_internal_tables_and_inner_engine_materialized_views_are_skipped(
        clients: dict[str, ClickHouseClient], protocol: str) -> None:
    client = clients[protocol]
    with Scratch(client) as scratch:
        db = scratch.database
        scratch.create(f"CREATE TABLE {db}.src (id UInt64) ENGINE = MergeTree ORDER BY id",
                       f"CREATE MATERIALIZED VIEW {db}.inner_mv ENGINE = MergeTree ORDER BY id AS SELECT id FROM "
                       f"{db}.src",
                       f"CREATE TABLE {db}._MOOSE_STATE (k String, v String) ENGINE = Memory",
                       f"CREATE TABLE {db}.`.hidden` (k String) ENGINE = Memory")
        reality = scratch.introspect()
        assert [t.name for t in reality.tables.values()] == ["src"]
        assert reality.materialized_views == {}


def test_missing_databases_give_nothing(clients: dict[str, ClickHouseClient]) -> None:
    reality = introspect(clients["http"], ["no_such_database_at_all", "nor_this"], "no_such_database_at_all")
    assert reality == InfraMap(default_database="no_such_database_at_all")


def test_life_cycle_is_kept_and_metadata_dropped() -> None:
    table = _table(life_cycle=LifeCycle.DELETION_PROTECTED)
    assert normalize_table(table).life_cycle is LifeCycle.DELETION_PROTECTED
