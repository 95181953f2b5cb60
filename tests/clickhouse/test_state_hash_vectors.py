"""Pinned state hashes: ``parent_state_hash`` in users' committed delta files depends on ClickHouse's canonical
form, so these vectors must never change silently.

If a test here fails, a change altered how some state normalizes. Then raise ``CANONICAL_VERSION`` in
``muskox_clickhouse/dialect/clickhouse_dialect.py``, recompute the vectors, and say so in the release notes: files
muskox writes carry their canonical form in their first line (``# muskox canonical form: clickhouse/1``), and
``migrate`` reports an unapplied file hashed in another form as out of date (exit 7, regenerate it) instead of as
drift. Applied files are never hashed again, so the change cannot affect them.
"""

from __future__ import annotations

from muskox.files.delta import canonical_form, migration_from_yaml, migration_to_yaml, new_migration
from muskox.files.state_hash import state_hash
from muskox.model.engines import ReplacingMergeTree
from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Column, Table, TableIndex, TableProjection
from muskox.model.types import Array, DateTime, Decimal, Enum, EnumMember, LowCardinality, Map, Simple
from muskox_clickhouse.dialect import CANONICAL_VERSION, CLICKHOUSE

DB = "shop"

EVENTS = Table(
    name="events",
    columns=(
        Column(name="id", data_type=Simple("UUID"), primary_key=True),
        Column(name="ts", data_type=DateTime(timezone="UTC"), codec="Delta, ZSTD(3)"),
        Column(name="kind", data_type=Enum(bits=8, members=(EnumMember(name="view", value=1),
                                                    EnumMember(name="buy", value=2)))),
        Column(name="country", data_type=LowCardinality(Simple("String")), default="'unknown'"),
        Column(name="price", data_type=Decimal(precision=18, scale=4), nullable=True),
        Column(name="tags", data_type=Array(Simple("String"))),
        Column(name="attrs", data_type=Map(key=Simple("String"), value=Simple("UInt64"))),
        Column(name="day", data_type=Simple("Date"), materialized="toDate(ts)"),
        Column(name="note", data_type=Simple("String"), comment="free text", ttl="ts + INTERVAL 7 DAY"),
    ),
    order_by=("id", "ts"),
    partition_by="toYYYYMM(ts)",
    ttl="ts + INTERVAL 90 DAY",
    settings={"index_granularity": "4096"},
    indexes=(TableIndex(name="by_country", expression="country", type="bloom_filter", granularity=4),),
    projections=(TableProjection(name="by_kind", body="SELECT kind, count() GROUP BY kind"),),
)
USERS = Table(name="users", columns=(Column(name="id", data_type=Simple("UInt64")),
                                     Column(name="version", data_type=Simple("UInt32"))),
              engine=ReplacingMergeTree(ver="version"), order_by=("id",), database="crm")
RECENT = View(name="recent", select_sql="SELECT id, kind FROM events WHERE ts > now() - INTERVAL 1 DAY",
              source_tables=("events",))
COUNTS = Table(name="counts", columns=(Column(name="kind", data_type=Simple("String")),
                                       Column(name="n", data_type=Simple("UInt64"))), order_by=("kind",))
TO_COUNTS = MaterializedView(name="to_counts", select_sql="SELECT toString(kind) AS kind, count() AS n FROM events "
                             "GROUP BY kind", target_table="counts", source_tables=("events",))

OLAP_STATE = InfraMap.of(DB, tables=[EVENTS, USERS, COUNTS], views=[RECENT], materialized_views=[TO_COUNTS])
WITH_TOPICS = InfraMap.of(DB, tables=[EVENTS], topics=[
    Topic(name="events", partitions=3, retention_ms=604_800_000, configs={"cleanup.policy": "delete"})])

#: (state, its hash in canonical form clickhouse/1)
VECTORS = {
    "empty (Moose's own hash)": (InfraMap(default_database=DB),
                                 "2cef55d3abf87fd8ab3e438898a908d7af537773c06e46ee692b6bd622e44901"),
    "one table": (InfraMap.of(DB, tables=[EVENTS]),
                  "be4db935317ea0f5897615d4daa1785678cc4ec070f7eebd5c4f35a470678a55"),
    "tables, a view and a materialized view": (
        OLAP_STATE, "a562ef0175b160c95e5372afeb4f9468c40fc97aa4455a1389dff96b732a5105"),
    "a table and a topic": (WITH_TOPICS, "466c79cb22d6271239db580911b10910a91907b20a0cf2eadd2f4b3218a7ca86"),
}


def test_canonical_version_is_the_one_the_vectors_were_computed_in() -> None:
    assert CANONICAL_VERSION == 1 and canonical_form(CLICKHOUSE) == "clickhouse/1"


def test_state_hashes_are_pinned() -> None:
    assert {name: state_hash(state, CLICKHOUSE) for name, (state, _) in VECTORS.items()} == {
        name: expected for name, (_, expected) in VECTORS.items()}


def test_the_hash_does_not_depend_on_the_default_database_name() -> None:
    moved = InfraMap.of("elsewhere", tables=[EVENTS])
    assert state_hash(moved, CLICKHOUSE) == VECTORS["one table"][1]


def test_files_record_their_canonical_form_and_read_it_back() -> None:
    migration = new_migration((), "abc", canonical_form=canonical_form(CLICKHOUSE))
    text = migration_to_yaml(migration, CLICKHOUSE)
    assert text.splitlines()[0] == "# muskox canonical form: clickhouse/1"
    assert migration_from_yaml(text, "f.yaml", CLICKHOUSE) == migration
    moose_written = text.split("\n", 1)[1]  # Moose writes no such line: the form is unknown
    assert migration_from_yaml(moose_written, "f.yaml", CLICKHOUSE).canonical_form is None
