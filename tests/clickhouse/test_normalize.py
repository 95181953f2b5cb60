"""ClickHouse's normalization rules, one by one, without a server (the server round trip is test_roundtrip)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from muskox.model import (
    Column,
    InfraMap,
    LifeCycle,
    MaterializedView,
    MergeTree,
    Metadata,
    OtherEngine,
    ReplacingMergeTree,
    Replication,
    SourceFile,
    Table,
    TableIndex,
    TableProjection,
    Topic,
    View,
)
from muskox.model.types import (
    AggregateFunction,
    Array,
    DataType,
    DateTime,
    Decimal,
    Enum,
    EnumMember,
    FixedString,
    Json,
    JsonTypedPath,
    LowCardinality,
    Map,
    Nested,
    Nullable,
    Simple,
    Tuple,
    TupleElement,
)
from muskox.testing.strategies import tables
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.normalize import (
    READONLY_SETTING_DEFAULTS,
    normalize_codec,
    normalize_column,
    normalize_engine,
    normalize_settings,
    normalize_table,
    normalize_type,
    nullable_allowed,
)
from muskox_clickhouse.dialect.sql_canonical import (
    canonical_expression,
    canonical_expression_list,
    canonical_query,
    canonical_ttl,
)

normalize_infra_map = CLICKHOUSE.normalize_infra_map

ID = Column(name="id", data_type=Simple("UInt64"))
TS = Column(name="ts", data_type=DateTime())


def table(**options: object) -> Table:
    fields: dict[str, object] = {"name": "t", "columns": (ID, TS), "order_by": ("id",), **options}
    return Table(**fields)  # type: ignore[arg-type]


def same(left: Table, right: Table, **options: object) -> bool:
    return normalize_table(left, **options) == normalize_table(right, **options)  # type: ignore[arg-type]


# -- TTL ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("declared", "server"), [
    ("ts + INTERVAL 30 DAY", "ts + toIntervalDay(30)"),
    ("ts + interval 1 month", "ts + toIntervalMonth(1)"),
    ("ts + INTERVAL 3 DAYS", "ts + toIntervalDay(3)"),
    ("ts + INTERVAL '2 days'", "ts + toIntervalDay(2)"),
    ("ts + INTERVAL 1 WEEK TO VOLUME 'cold'", "ts + toIntervalWeek(1) TO VOLUME 'cold'"),
    ("ts + INTERVAL 1 HOUR DELETE", "ts + toIntervalHour(1)"),
    ("ts + interval 1 month, ts + INTERVAL '2 days' DELETE WHERE id = 1",
     "ts + toIntervalMonth(1), ts + toIntervalDay(2) WHERE id = 1"),
    ("toStartOfDay(ts)+INTERVAL 1 SECOND", "toStartOfDay(ts) + toIntervalSecond(1)"),
])
def test_ttl_interval_forms_are_one(declared: str, server: str) -> None:
    assert canonical_ttl(declared) == canonical_ttl(server)
    assert same(table(ttl=declared), table(ttl=server))
    column = attrs.evolve(ID, ttl=declared)
    assert normalize_column(column) == normalize_column(attrs.evolve(ID, ttl=server))


def test_ttl_differences_stay_different() -> None:
    assert not same(table(ttl="ts + INTERVAL 30 DAY"), table(ttl="ts + toIntervalDay(31)"))
    assert not same(table(ttl="ts + INTERVAL 30 DAY"), table(ttl="ts + toIntervalHour(30)"))


# -- codecs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("declared", "data_type", "server"), [
    ("ZSTD", Simple("String"), "ZSTD(1)"),
    ("CODEC(ZSTD)", Simple("String"), "ZSTD(1)"),
    ("zstd(3)", Simple("String"), "ZSTD(3)"),
    ("LZ4HC", Simple("String"), "LZ4HC(0)"),
    ("Delta, ZSTD", Simple("UInt32"), "Delta(4), ZSTD(1)"),
    ("Delta,LZ4", Simple("Int8"), "Delta(1), LZ4"),
    ("Delta", Simple("Date"), "Delta(2)"),
    ("Delta, ZSTD", Array(Simple("UInt32")), "Delta(4), ZSTD(1)"),
    ("Delta, ZSTD", Enum(8, (EnumMember("a", 1),)), "Delta(1), ZSTD(1)"),
    ("Delta, ZSTD", Decimal(9, 2), "Delta(4), ZSTD(1)"),
    ("DoubleDelta, ZSTD", DateTime(), "DoubleDelta, ZSTD(1)"),
    ("Gorilla", Simple("Float64"), "Gorilla(8)"),
    ("Gorilla, LZ4HC", Simple("Float32"), "Gorilla(4), LZ4HC(0)"),
    ("FPC, ZSTD", Simple("Float64"), "FPC(12), ZSTD(1)"),
    ("T64, ZSTD(3)", Simple("UInt64"), "T64, ZSTD(3)"),
    ("NONE", Simple("Float64"), "NONE"),
])
def test_codec_defaults(declared: str, data_type: DataType, server: str) -> None:
    assert normalize_codec(declared, data_type) == normalize_codec(f"CODEC({server})", data_type) == server


def test_codec_on_a_nullable_column_uses_the_value_size() -> None:
    column = Column(name="n", data_type=Simple("Int16"), nullable=True, codec="Delta, ZSTD")
    assert normalize_column(column).codec == "Delta(2), ZSTD(1)"


def test_empty_codec_is_none() -> None:
    assert normalize_codec("", Simple("String")) is None
    assert normalize_codec(None, Simple("String")) is None


# -- settings -------------------------------------------------------------------------------------------


def test_readonly_defaults_are_dropped() -> None:
    assert normalize_settings(dict(READONLY_SETTING_DEFAULTS)) == {}
    assert normalize_settings({"index_granularity": "4096"}) == {"index_granularity": "4096"}
    assert same(table(), table(settings={"index_granularity": "8192"}))
    assert not same(table(), table(settings={"index_granularity": "4096"}))


def test_setting_values_lose_quotes_and_spell_booleans_as_numbers() -> None:
    assert normalize_settings({"merge_with_ttl_timeout": "'3600'", "ttl_only_drop_parts": "true",
                               "storage_policy": "'default'"}) == \
        normalize_settings({"storage_policy": "default", "merge_with_ttl_timeout": "3600", "ttl_only_drop_parts": "1"})


# -- types ----------------------------------------------------------------------------------------------


def test_enum_members_are_sorted_by_value_everywhere() -> None:
    shuffled = Enum(8, (EnumMember("b", 2), EnumMember("a", 1)))
    ordered = Enum(8, (EnumMember("a", 1), EnumMember("b", 2)))
    assert normalize_type(shuffled) == ordered
    assert normalize_type(Array(Map(Simple("String"), shuffled))) == Array(Map(Simple("String"), ordered))
    assert normalize_type(Nested((TupleElement("e", shuffled),))) == Nested((TupleElement("e", ordered),))


def test_json_paths_sorted_and_default_limits_dropped() -> None:
    declared = Json(max_dynamic_paths=1024, max_dynamic_types=32,
                    typed_paths=(JsonTypedPath("b.a", Simple("String")), JsonTypedPath("a", Simple("UInt32"))),
                    skip_paths=("z", "b"), skip_regexps=("z.*", "a"))
    server = Json(typed_paths=(JsonTypedPath("a", Simple("UInt32")), JsonTypedPath("b.a", Simple("String"))),
                  skip_paths=("b", "z"), skip_regexps=("a", "z.*"))
    assert normalize_type(declared) == normalize_type(server)
    assert normalize_type(Json(max_dynamic_paths=10)) != normalize_type(Json())


def test_low_cardinality_nullable_column_is_a_nullable_low_cardinality_column() -> None:
    declared = Column(name="s", data_type=LowCardinality(Nullable(Simple("String"))))
    introspected = Column(name="s", data_type=LowCardinality(Simple("String")), nullable=True)
    assert normalize_column(declared) == normalize_column(introspected)


def test_types_that_cannot_be_nullable_drop_the_flag() -> None:
    for data_type in (Array(Simple("String")), Map(Simple("String"), Simple("UInt8")), Json(),
                      Nested((TupleElement("a", Simple("String")),))):
        assert not nullable_allowed(data_type)
        column = Column(name="c", data_type=data_type, nullable=True)
        assert normalize_column(column) == normalize_column(attrs.evolve(column, nullable=False))
    assert nullable_allowed(LowCardinality(Simple("String")))
    assert nullable_allowed(FixedString(3))


# -- columns --------------------------------------------------------------------------------------------


def test_column_expressions_comments_and_key_flags() -> None:
    declared = Column(name="c", data_type=Simple("String"), default="concat('a','b')", comment="", primary_key=True)
    server = Column(name="c", data_type=Simple("String"), default="concat('a', 'b')", comment=None)
    assert normalize_column(declared) == normalize_column(server)
    assert normalize_column(Column(name="s", data_type=Simple("Int32"), default="`order` == 'x'")) == \
        normalize_column(Column(name="s", data_type=Simple("Int32"), default="order = 'x'"))
    assert normalize_column(Column(name="a", data_type=Simple("UInt8"), alias="(`select` + 1)")).alias == \
        canonical_expression("`select` + 1")


# -- keys -----------------------------------------------------------------------------------------------


def test_order_by_forms() -> None:
    assert same(table(order_by=("id", "ts")), table(order_by="(id, ts)"))
    assert same(table(order_by=("id", "ts")), table(order_by="id, ts"))
    assert same(table(order_by=()), table(order_by="tuple()"))
    assert same(table(order_by=("with space",)), table(order_by="(`with space`)"))
    assert same(table(order_by="(id, intHash32(id))"), table(order_by="id, intHash32(id)"))
    assert normalize_table(table(order_by="(id, ts)")).order_by == ("id", "ts")
    assert normalize_table(table(order_by="toStartOfDay(ts)")).order_by == "toStartOfDay(ts)"
    assert not same(table(order_by=("id", "ts")), table(order_by=("ts", "id")))


def test_primary_key_equal_to_order_by_is_none() -> None:
    assert normalize_table(table(order_by=("id", "ts"), primary_key_expression="(id, ts)")).primary_key_expression \
        is None
    assert normalize_table(table(order_by=("id", "ts"), primary_key_expression="id")).primary_key_expression == "id"


def test_key_flags_only_stand_in_for_a_missing_order_by() -> None:
    flagged = table(columns=(attrs.evolve(ID, primary_key=True), TS), order_by=("id", "ts"))
    assert same(flagged, table(order_by=("id", "ts")))  # Key[...] never makes a PRIMARY KEY clause
    assert not same(flagged, table(order_by=("id", "ts"), primary_key_expression="(id)"))
    assert not same(table(columns=(attrs.evolve(ID, primary_key=True), TS), order_by="tuple()"),
                    table(order_by=("id",)))  # an explicit tuple() is an ORDER BY of its own
    only_key = table(columns=(attrs.evolve(ID, primary_key=True), TS), order_by=())
    assert normalize_table(only_key).order_by == ("id",)
    assert same(only_key, table(order_by=("id",)))


def test_partition_and_sample_expressions() -> None:
    assert same(table(partition_by="(`id` % 4)"), table(partition_by="id % 4"))
    assert same(table(partition_by="id MOD 4"), table(partition_by="id % 4"))
    assert same(table(sample_by="intHash32( id )"), table(sample_by="intHash32(id)"))
    assert not same(table(partition_by="toYYYYMM(ts)"), table(partition_by="toYYYYMMDD(ts)"))


# -- indexes, projections -------------------------------------------------------------------------------


def test_indexes_and_projections_sorted_and_canonical() -> None:
    declared = table(
        indexes=(TableIndex(name="b", expression="id*2", type="set", arguments=("100",)),
                 TableIndex(name="a", expression="ts", type="minmax")),
        projections=(TableProjection(name="p2", body="select id, sum(x) group by id"),
                     TableProjection(name="p1", body="SELECT id ORDER BY id")))
    server = table(
        indexes=(TableIndex(name="a", expression="ts", type="minmax"),
                 TableIndex(name="b", expression="id * 2", type="set", arguments=("100",))),
        projections=(TableProjection(name="p1", body="SELECT id ORDER BY id"),
                     TableProjection(name="p2", body="SELECT id, sum(x) GROUP BY id")))
    assert same(declared, server)


# -- engines --------------------------------------------------------------------------------------------


def test_replicated_macros_and_defaults() -> None:
    written = MergeTree(replication=Replication(keeper_path="/clickhouse/tables/{database}/{table}",
                                                replica_name="r1"))
    stored = MergeTree(replication=Replication(keeper_path="/clickhouse/tables/db/t", replica_name="r1"))
    assert normalize_engine(written, database="db", table="t") == normalize_engine(stored, database="db", table="t")
    defaults = ReplacingMergeTree(replication=Replication(keeper_path="/clickhouse/tables/{uuid}/{shard}",
                                                          replica_name="{replica}"))
    assert normalize_engine(defaults) == ReplacingMergeTree(replication=Replication())
    assert same(table(database="db", engine=written), table(engine=stored), default_database="db")


def test_other_engines() -> None:
    assert normalize_engine(OtherEngine(name="Memory", arguments="")) == OtherEngine(name="Memory")
    assert normalize_engine(OtherEngine(name="KeeperMap", arguments="'/x',10")) == \
        normalize_engine(OtherEngine(name="KeeperMap", arguments="'/x', 10"))


# -- database, metadata, life cycle ---------------------------------------------------------------------


def test_database_metadata_and_life_cycle() -> None:
    declared = table(metadata=Metadata(description="d", source=SourceFile(file="app.py")),
                     life_cycle=LifeCycle.DELETION_PROTECTED)
    normalized = normalize_table(declared, default_database="local")
    assert normalized.database == "local"
    assert normalized.metadata is None
    assert normalized.life_cycle is LifeCycle.DELETION_PROTECTED
    assert same(declared, table(database="local", life_cycle=LifeCycle.DELETION_PROTECTED),
                default_database="local")
    assert not same(declared, table(database="other"), default_database="local")


# -- ignore_operations ----------------------------------------------------------------------------------


def test_ignore_table_ttl() -> None:
    assert same(table(ttl="ts + INTERVAL 1 DAY"), table(), ignore_operations={"ModifyTableTtl"})
    assert not same(table(ttl="ts + INTERVAL 1 DAY"), table())


def test_ignore_column_ttl() -> None:
    with_ttl = table(columns=(ID, attrs.evolve(TS, ttl="ts + INTERVAL 1 DAY")))
    assert same(with_ttl, table(), ignore_operations=["ModifyColumnTtl"])
    assert not same(with_ttl, table())


def test_ignore_partition_by() -> None:
    assert same(table(partition_by="toYYYYMM(ts)"), table(), ignore_operations={"ModifyPartitionBy"})


@pytest.mark.parametrize(("with_low_cardinality", "without"), [
    (LowCardinality(Simple("String")), Simple("String")),
    (Array(LowCardinality(Simple("String"))), Array(Simple("String"))),
    (Map(LowCardinality(Simple("String")), Array(LowCardinality(Nullable(Simple("String"))))),
     Map(Simple("String"), Array(Nullable(Simple("String"))))),
    (Tuple((TupleElement("a", LowCardinality(Simple("String"))),)), Tuple((TupleElement("a", Simple("String")),))),
    (Nested((TupleElement("a", LowCardinality(Simple("String"))),)), Nested((TupleElement("a", Simple("String")),))),
    (Json(typed_paths=(JsonTypedPath("a", LowCardinality(Simple("String"))),)),
     Json(typed_paths=(JsonTypedPath("a", Simple("String")),))),
])
def test_ignore_string_low_cardinality(with_low_cardinality: DataType, without: DataType) -> None:
    ignore = {"IgnoreStringLowCardinalityDifferences"}
    left = table(columns=(ID, Column(name="s", data_type=with_low_cardinality)))
    right = table(columns=(ID, Column(name="s", data_type=without)))
    assert same(left, right, ignore_operations=ignore)
    assert not same(left, right)


def test_ignore_low_cardinality_keeps_nullability_and_other_types() -> None:
    ignore = {"IgnoreStringLowCardinalityDifferences"}
    nullable = Column(name="s", data_type=LowCardinality(Simple("String")), nullable=True)
    assert normalize_column(nullable, ignore_operations=ignore) == Column(name="s", data_type=Simple("String"),
                                                                          nullable=True)
    fixed = Column(name="f", data_type=LowCardinality(FixedString(2)))
    assert normalize_column(fixed, ignore_operations=ignore).data_type == LowCardinality(FixedString(2))


def test_unknown_ignore_operation_is_an_error() -> None:
    with pytest.raises(ValueError, match="ModifyTtl"):
        normalize_table(table(), ignore_operations={"ModifyTtl"})


# -- views and the whole map ----------------------------------------------------------------------------


def test_view_queries_lose_their_own_database() -> None:
    declared = View(name="v", select_sql="select id,`order` from events where id>1")
    server = View(name="v", database="local", select_sql="SELECT id, order FROM local.events WHERE id > 1")
    default = InfraMap.of("local", views=[declared])
    reality = InfraMap.of("local", views=[server])
    assert normalize_infra_map(default) == normalize_infra_map(reality)
    other = InfraMap.of("local", views=[attrs.evolve(server, select_sql="SELECT id FROM other.events")])
    assert normalize_infra_map(other) != normalize_infra_map(default)


def test_materialized_view_target_database_defaults() -> None:
    declared = MaterializedView(name="mv", target_table="daily", select_sql="SELECT id, count() AS n FROM t "
                                "GROUP BY id", source_tables=("t",))
    server = MaterializedView(name="mv", target_table="daily", target_database="local", database="local",
                              select_sql="SELECT id, count() AS n FROM local.t GROUP BY id")
    assert normalize_infra_map(InfraMap.of("local", materialized_views=[declared])) == \
        normalize_infra_map(InfraMap.of("local", materialized_views=[server]))


def test_infra_map_keys_and_topics() -> None:
    infra = InfraMap.of("local", tables=[table(), table(name="u", database="other")],
                        topics=[Topic(name="events", metadata=Metadata(description="x"))])
    normalized = normalize_infra_map(infra)
    assert sorted(normalized.tables) == sorted(infra.tables)
    assert normalized.tables['"local"."t"'].database == "local"
    assert normalized.topics["events"].metadata is None


def test_aggregate_function_parameters_are_canonical() -> None:
    assert normalize_type(AggregateFunction("quantiles(0.5,0.9)", (Simple("Float64"),))) == \
        normalize_type(AggregateFunction("quantiles(0.5, 0.9)", (Simple("Float64"),)))


# -- properties -----------------------------------------------------------------------------------------


@given(tables())
def test_normalization_is_idempotent(declared: Table) -> None:
    once = normalize_table(declared, default_database="db")
    assert normalize_table(once, default_database="db") == once


@given(tables(), st.sets(st.sampled_from(["ModifyTableTtl", "ModifyColumnTtl", "ModifyPartitionBy",
                                         "IgnoreStringLowCardinalityDifferences"])))
def test_normalization_with_ignored_operations_is_idempotent(declared: Table, ignored: set[str]) -> None:
    once = normalize_table(declared, default_database="db", ignore_operations=ignored)
    assert normalize_table(once, default_database="db", ignore_operations=ignored) == once


# -- canonical SQL text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("declared", "server"), [
    ("(1+1)", "1 + 1"),
    ("a = 1 and b = 2", "(a = 1) AND (b = 2)"),
    ("1 + 2 + 3", "(1 + 2) + 3"),
    ("a || b || c", "concat(a, b, c)"),
    ("a ? b : c", "if(a, b, c)"),
    ("case when a then 1 else 2 end", "multiIf(a, 1, 2)"),
    ("x between 1 and 2", "(x >= 1) AND (x <= 2)"),
    ("x not between 1 and 2", "(x < 1) OR (x > 2)"),
    ("CAST(x AS Nullable(String))", "CAST(x, 'Nullable(String)')"),
    ("x::Int32", "CAST(x, 'Int32')"),
    ("a == b", "a = b"),
    ("a <> b", "a != b"),
    ("x MOD 4", "x % 4"),
    ("x DIV 2", "intDiv(x, 2)"),
    ("count(distinct x)", "countDistinct(x)"),
    ("'it''s'", "'it\\'s'"),
    ("1e3", "1000."),
    ("0x1F", "31"),
    ("- 1", "-1"),
    ("NOT (x = 1)", "NOT (x = 1)"),
    ("x in(1)", "x IN (1)"),
    ("(1,)", "tuple(1)"),
    ("DATE '2024-01-01'", "toDate('2024-01-01')"),
    ("`db`.`t`.`c`", "db.t.c"),
    ("`order`", "order"),
    ("arrayMap(x -> x * 2, a)", "arrayMap(x -> (x * 2), a)"),
    ("null", "NULL"),
    ("TRUE", "true"),
])
def test_canonical_expression_matches_the_servers_format(declared: str, server: str) -> None:
    assert canonical_expression(declared) == canonical_expression(server)


@pytest.mark.parametrize(("left", "right"), [
    ("a - (b - c)", "a - b - c"),
    ("a / b * c", "a / (b * c)"),
    ("NOT a AND b", "NOT (a AND b)"),
    ("`with space`", "with_space"),
    ("f(x)", "F(x)"),
])
def test_canonical_expression_keeps_differences(left: str, right: str) -> None:
    assert canonical_expression(left) != canonical_expression(right)


def test_unparsable_text_falls_back_to_tokens() -> None:
    assert canonical_expression("a  b   c") == canonical_expression("a b c")
    assert canonical_expression("SELECT )(") == canonical_expression("select  ) (")


def test_expression_lists() -> None:
    assert canonical_expression_list("(a, `b`)") == ["a", "b"]
    assert canonical_expression_list("tuple()") == []
    assert canonical_expression_list("") == []
    assert canonical_expression_list("(a)") == ["a"]
    assert canonical_expression_list("toDate(ts)") == ["toDate(ts)"]


def test_queries() -> None:
    assert canonical_query("select id, `order` from t where id>1") == \
        canonical_query("SELECT id, order FROM t WHERE id > 1")
    assert canonical_query("SELECT a FROM db.t", strip_qualifier="db") == canonical_query("SELECT a FROM t")
    assert canonical_query("SELECT count() n FROM t") == canonical_query("SELECT count() AS n FROM t")
    assert canonical_query("SELECT x FROM (select 1 as x) s") == canonical_query("SELECT x FROM (SELECT 1 AS x) AS s")
