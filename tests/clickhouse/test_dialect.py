"""The ClickHouse dialect as the core sees it: names, references, the backfill statement, the backend's dialect."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muskox.plugin.dialect import Dialect, TableName
from muskox.testing.strategies import identifiers
from muskox_clickhouse import ClickHouseBackend
from muskox_clickhouse.dialect import CLICKHOUSE, ClickHouseDialect
from muskox_clickhouse.dialect.sql_lexer import tokenize


def test_the_backend_names_its_dialect_without_connecting() -> None:
    assert ClickHouseBackend.dialect() is CLICKHOUSE
    assert isinstance(CLICKHOUSE, ClickHouseDialect) and isinstance(CLICKHOUSE, Dialect)
    assert CLICKHOUSE.name == "clickhouse" and CLICKHOUSE.canonical_version >= 1
    assert "index_granularity" in CLICKHOUSE.readonly_settings
    assert "IgnoreStringLowCardinalityDifferences" in CLICKHOUSE.ignorable_operations


@given(st.one_of(st.none(), identifiers), identifiers)
def test_a_qualified_name_references_its_table(database: str | None, name: str) -> None:
    reference = CLICKHOUSE.qualified_name(database, name)
    assert CLICKHOUSE.referenced_name(reference) == name
    assert [t.kind for t in tokenize(reference)] == (["quoted"] if database is None else ["quoted", "punct", "quoted"])


@pytest.mark.parametrize(("reference", "name"), [
    ("events", "events"), ("analytics.events", "events"), ("`events`", "events"), ("`db`.`events`", "events"),
    ("`my.table`", "my.table"), ("`db`.`back\\`tick`", "back`tick"), ("  `db` . `t`  ", "t"),
])
def test_references_written_by_people_name_their_last_part(reference: str, name: str) -> None:
    assert CLICKHOUSE.referenced_name(reference) == name


def test_the_backfill_copies_the_listed_columns_or_all() -> None:
    old, new = TableName("db", "events_1_0"), TableName("db", "events_2_0")
    assert CLICKHOUSE.copy_rows_sql(old, new, ["id", "kind"]) == (
        "INSERT INTO `db`.`events_2_0` (`id`, `kind`) SELECT `id`, `kind` FROM `db`.`events_1_0`")
    assert CLICKHOUSE.copy_rows_sql(old, new) == "INSERT INTO `db`.`events_2_0` SELECT * FROM `db`.`events_1_0`"


@given(cluster_before=st.sampled_from([None, "c1"]), cluster_after=st.sampled_from([None, "c1", "c2"]))
def test_a_cluster_table_is_never_recreated_by_a_one_node_copy(cluster_before: str | None,
                                                               cluster_after: str | None) -> None:
    """The INSERT … SELECT of a recreate with copy runs on one node: on a cluster it would copy one shard's rows
    (or each replica's again), so a cluster table is recreated by a gated drop and create instead."""
    from muskox.model import Column, MergeTree, Table
    from muskox.model.types import Simple

    columns = (Column(name="id", data_type=Simple("UInt32")),)
    before = Table(name="t", columns=columns, engine=MergeTree(), order_by=("id",), cluster=cluster_before)
    after = Table(name="t", columns=columns, engine=MergeTree(), order_by=("id",), cluster=cluster_after)
    assert CLICKHOUSE.can_copy_rows(before, after) is (cluster_before is None and cluster_after is None)
