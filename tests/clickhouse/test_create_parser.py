"""Parsing ``create_table_query`` / ``engine_full`` as ClickHouse 26.9 prints them (strings copied from a server)."""

from __future__ import annotations

import attrs
import pytest

from muskox.model import (
    AggregatingMergeTree,
    CollapsingMergeTree,
    MergeTree,
    OtherEngine,
    ReplacingMergeTree,
    Replication,
    SummingMergeTree,
    VersionedCollapsingMergeTree,
)
from muskox.model.engines import Engine, IntegrationEngine
from muskox_clickhouse.create_parser import parse_create, parse_engine, parse_engine_full

TABLE = ("CREATE TABLE t1.a (`id` UInt64, `ts` DateTime, `s` LowCardinality(Nullable(String)) DEFAULT 'x' "
         "COMMENT 'it\\'s' CODEC(ZSTD(1)), `d` Float64 CODEC(Delta(8), ZSTD(1)) TTL ts + toIntervalDay(1), "
         "`e` Enum8('a' = 1, 'b' = 2), INDEX `idx id` id TYPE bloom_filter(0.01) GRANULARITY 4, "
         "PROJECTION p (SELECT id, ts ORDER BY ts)) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) PRIMARY KEY id "
         "ORDER BY (id, ts) SAMPLE BY id TTL ts + toIntervalDay(30) SETTINGS index_granularity = 4096, "
         "merge_with_ttl_timeout = '3600', ttl_only_drop_parts = true COMMENT 'tbl'")


def test_a_full_table_statement() -> None:
    parsed = parse_create(TABLE)
    assert (parsed.kind, parsed.database, parsed.name) == ("TABLE", "t1", "a")
    assert [c.name for c in parsed.columns] == ["id", "ts", "s", "d", "e"]
    s, d = parsed.columns[2], parsed.columns[3]
    assert (s.type, s.default_kind, s.default_expression, s.comment, s.codec) == (
        "LowCardinality(Nullable(String))", "DEFAULT", "'x'", "it's", "CODEC(ZSTD(1))")
    assert (d.codec, d.ttl) == ("CODEC(Delta(8), ZSTD(1))", "ts + toIntervalDay(1)")
    assert parsed.columns[4].type == "Enum8('a' = 1, 'b' = 2)"
    assert [(i.name, i.expression, i.type, i.granularity) for i in parsed.indexes] == [
        ("idx id", "id", "bloom_filter(0.01)", 4)]
    assert parsed.projections == (("p", "SELECT id, ts ORDER BY ts"),)
    clauses = parsed.clauses
    assert (clauses.engine, clauses.engine_arguments) == ("MergeTree", None)
    assert (clauses.partition_by, clauses.primary_key, clauses.order_by, clauses.sample_by, clauses.ttl) == (
        "toYYYYMM(ts)", "id", "(id, ts)", "id", "ts + toIntervalDay(30)")
    assert clauses.settings == {"index_granularity": "4096", "merge_with_ttl_timeout": "3600",
                                "ttl_only_drop_parts": "true"}
    assert clauses.comment == "tbl"


def test_engine_full_gives_the_same_clauses_but_the_comment() -> None:
    engine_full = TABLE[TABLE.index(" ENGINE = ") + len(" ENGINE = "):TABLE.rindex(" COMMENT ")]
    full = parse_create(TABLE).clauses
    fast = parse_engine_full(engine_full)
    assert fast == attrs.evolve(full, comment=None)


@pytest.mark.parametrize("engine_full", [
    "ReplicatedMergeTree('/clickhouse/tables/e1/n10', 'r1') ORDER BY id SETTINGS index_granularity = 8192",
    "SummingMergeTree((amount)) ORDER BY id SETTINGS index_granularity = 8192",
    "MergeTree PARTITION BY (`select` % 4) ORDER BY (order, id) SAMPLE BY id SETTINGS index_granularity = 8192",
    "MergeTree ORDER BY id TTL ts + toIntervalMonth(1), ts + toIntervalDay(2) WHERE id = 1 SETTINGS "
    "index_granularity = 8192",
    "MergeTree ORDER BY id TTL ts + toIntervalWeek(1) TO VOLUME 'default' SETTINGS storage_policy = 'a, b', "
    "index_granularity = 8192",
    "`Null`",
    "Memory",
    "KeeperMap('/x/n15') PRIMARY KEY k",
    "Merge('db', '^ev (ents)')",
])
def test_engine_full_and_statement_agree(engine_full: str) -> None:
    statement = f"CREATE TABLE db.t (`a` UInt8) ENGINE = {engine_full}"
    assert parse_engine_full(engine_full) == parse_create(statement).clauses


def test_views_and_materialized_views() -> None:
    view = parse_create("CREATE VIEW e3.v (`id` UInt64, `order` String) AS SELECT id, order FROM e3.src WHERE id > 1")
    assert (view.kind, view.name, view.clauses.as_select) == (
        "VIEW", "v", "SELECT id, order FROM e3.src WHERE id > 1")
    mv = parse_create("CREATE MATERIALIZED VIEW e3.mv TO e3.`dst x` (`id` UInt64, `n` UInt64) AS SELECT id, "
                      "count() AS n FROM e3.src GROUP BY id")
    assert (mv.kind, mv.to_database, mv.to_table) == ("MATERIALIZED VIEW", "e3", "dst x")
    assert mv.clauses.as_select == "SELECT id, count() AS n FROM e3.src GROUP BY id"
    inner = parse_create("CREATE MATERIALIZED VIEW e3.mv3 (`id` UInt64) ENGINE = MergeTree ORDER BY id SETTINGS "
                         "index_granularity = 8192 AS SELECT id FROM e3.src")
    assert inner.to_table is None
    assert inner.clauses.engine == "MergeTree"
    assert inner.clauses.as_select == "SELECT id FROM e3.src"


def test_awkward_names() -> None:
    parsed = parse_create("CREATE TABLE `weird db`.`t \\`x'y` (`a b` UInt8, `é` Enum8('a\\'b' = 1)) ENGINE = "
                          "MergeTree ORDER BY `a b` SETTINGS index_granularity = 8192")
    assert (parsed.database, parsed.name) == ("weird db", "t `x'y")
    assert [c.name for c in parsed.columns] == ["a b", "é"]
    assert parsed.clauses.order_by == "`a b`"


@pytest.mark.parametrize(("name", "arguments", "engine"), [
    ("MergeTree", None, MergeTree()),
    ("ReplacingMergeTree", "ver, deleted", ReplacingMergeTree(ver="ver", is_deleted="deleted")),
    ("ReplacingMergeTree", "`my ver`", ReplacingMergeTree(ver="my ver")),
    ("SummingMergeTree", "(amount, n)", SummingMergeTree(columns=("amount", "n"))),
    ("SummingMergeTree", "amount", SummingMergeTree(columns=("amount",))),
    ("AggregatingMergeTree", None, AggregatingMergeTree()),
    ("CollapsingMergeTree", "sign", CollapsingMergeTree(sign="sign")),
    ("VersionedCollapsingMergeTree", "sign, ver", VersionedCollapsingMergeTree(sign="sign", ver="ver")),
    ("ReplicatedReplacingMergeTree", "'/p/{shard}', '{replica}', ver",
     ReplacingMergeTree(ver="ver", replication=Replication(keeper_path="/p/{shard}", replica_name="{replica}"))),
    ("ReplicatedMergeTree", None, MergeTree(replication=Replication())),
    ("MergeTree", "date, (id, date), 8192", OtherEngine(name="MergeTree", arguments="date, (id, date), 8192")),
    ("ReplacingMergeTree", "ver + 1", OtherEngine(name="ReplacingMergeTree", arguments="ver + 1")),
    ("Kafka", "'b:9092', 't', 'g', 'JSONEachRow'", IntegrationEngine(name="Kafka", fields=(
        ("broker_list", "b:9092"), ("topic_list", "t"), ("group_name", "g"), ("format", "JSONEachRow")))),
    ("Kafka", None, OtherEngine(name="Kafka")),  # configured through SETTINGS only: compared as written
    ("Log", None, OtherEngine(name="Log")),
])
def test_engines(name: str, arguments: str | None, engine: Engine) -> None:
    assert parse_engine(name, arguments) == engine
