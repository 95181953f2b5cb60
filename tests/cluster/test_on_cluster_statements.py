"""Every ``ON CLUSTER`` statement kind muskox emits, for hypothesis-generated tables and their changes, parsed by
the real server (``formatQuery``): the embedded 26.9 cannot run distributed DDL, so these are parser-checked only.
"""

from __future__ import annotations

import attrs
import clickhouse_connect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.model.dictionary import Dictionary
from muskox.model.engines import MergeTree, Replication
from muskox.model.infra_map import InfraMap
from muskox.model.operations import (
    CreateDictionary,
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropDictionary,
    DropMaterializedView,
    DropTable,
    DropView,
    Operation,
    ReplaceDictionary,
    TableOperation,
)
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox.testing.strategies import schema_pairs, tables
from muskox_clickhouse.alter import render_statements
from muskox_clickhouse.cluster.applier import DistributedDdlFailed, distributed_ddl_report
from muskox_clickhouse.cluster.settings import ClusterSettings
from muskox_clickhouse.cluster.statements import create_database_statement, for_node, on_cluster_statements
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.quoting import quote_identifier
from muskox_clickhouse.local import RunningServer

CLUSTER = "prod cluster"  # a name that needs quoting
YES = Approvals(yes_all=True, yes_destructive=True, yes_rename=True)


@pytest.fixture(scope="module")
def parser(clickhouse_server: RunningServer):  # type: ignore[no-untyped-def]
    client = clickhouse_connect.get_client(host="127.0.0.1", port=clickhouse_server.http_port)

    def check(sql: str, on_cluster: bool = True) -> str:
        formatted = client.query("SELECT formatQuery({sql:String})", parameters={"sql": sql}).result_rows[0][0]
        assert ("ON CLUSTER `prod cluster`" in formatted) is on_cluster, (sql, formatted)
        return str(formatted)

    return check


#: Operation kinds whose statements carry ON CLUSTER (others, e.g. raw SQL, run as written on the URL's server).
_CLUSTERED = (TableOperation, CreateTable, CreateView, DropView, CreateMaterializedView, DropMaterializedView,
              CreateDictionary, ReplaceDictionary, DropDictionary)


def _all_on_cluster(operations: list[Operation]) -> list[tuple[str, bool]]:
    return [(s.sql, isinstance(op, _CLUSTERED)) for op in operations
            for s in on_cluster_statements(op, "db", CLUSTER)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(database="db"), replicated=st.booleans())
def test_creates_and_drops_parse(parser, table, replicated) -> None:  # type: ignore[no-untyped-def]
    if replicated and isinstance(table.engine, MergeTree):
        table = attrs.evolve(table, engine=MergeTree(replication=Replication()))
    select = f"SELECT * FROM {quote_identifier(table.name)}"
    operations: list[Operation] = [
        CreateTable(table=table), DropTable(table=table.name, database="db"),
        CreateView(name="v", select_sql=select, database="db"), DropView(name="v"),
        CreateMaterializedView(name="mv", select_sql=select, target_table=table.name, database="db"),
        DropMaterializedView(name="mv", database="db"),
    ]
    for sql, _ in [*_all_on_cluster(operations), (create_database_statement("db", CLUSTER), True)]:
        parser(sql)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=schema_pairs())
def test_every_alter_the_planner_emits_parses(parser, pair: tuple[InfraMap, InfraMap]) -> None:  # type: ignore[no-untyped-def]
    before, after = pair
    result = make_plan(PlanRequest(current=before, target=after, dialect=CLICKHOUSE, approvals=YES, gate=False))
    for sql, clustered in _all_on_cluster(list(result.operations)):
        parser(sql, clustered)


_NAMES = st.text("abcdefghij_", min_size=1, max_size=8).filter(lambda name: name[0] != "_")
_KEY_TYPES = st.sampled_from(["UInt64", "UInt32", "String"])
_VALUE_TYPES = st.sampled_from(["String", "Float64", "Nullable(String)", "Array(UInt8)", "DateTime", "Int32"])


@st.composite
def dictionaries(draw: st.DrawFn) -> Dictionary:
    """A dictionary of Moose's encoding: a key and a few attributes, a table or query source, a layout and a
    lifetime of every kind muskox renders (sources with credentials are left to the dictionary tests)."""
    names = draw(st.lists(_NAMES, min_size=2, max_size=5, unique=True))
    columns = [{"name": names[0], "typeString": draw(_KEY_TYPES)}]
    # no column COMMENT: ClickHouse 26.9's parser rejects it on a dictionary attribute, with or without ON CLUSTER
    columns += [{"name": name, "typeString": draw(_VALUE_TYPES)} for name in names[1:]]
    complex_key = columns[0]["typeString"] == "String"
    layout = draw(st.sampled_from(["COMPLEX_KEY_HASHED", "COMPLEX_KEY_SPARSE_HASHED"] if complex_key
                                  else ["FLAT", "HASHED", "SPARSE_HASHED", "HASHED_ARRAY"]))
    source = draw(st.one_of(
        st.builds(lambda t: {"type": "TABLE", "table": t}, _NAMES),
        st.builds(lambda t: {"type": "QUERY", "query": f"SELECT * FROM {t}"}, _NAMES)))
    lifetime = draw(st.one_of(
        st.just({"type": "STATIC"}),
        st.builds(lambda s: {"type": "SINGLE", "seconds": s}, st.integers(1, 10_000)),
        st.builds(lambda a, b: {"type": "RANGE", "min": min(a, b), "max": max(a, b)}, st.integers(0, 999),
                  st.integers(0, 999))))
    encoding: dict[str, object] = {"name": draw(_NAMES), "primaryKey": [names[0]], "columns": columns,
                                   "source": source, "layout": {"type": layout}, "lifetime": lifetime}
    if draw(st.booleans()):
        encoding["database"] = draw(st.sampled_from(["db", "other db"]))
    if draw(st.booleans()):
        encoding["comment"] = draw(st.text("xy '", max_size=5))
    return Dictionary.from_encoding(encoding)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dictionary=dictionaries(), other=dictionaries())
def test_dictionary_statements_parse(parser, dictionary: Dictionary, other: Dictionary) -> None:  # type: ignore[no-untyped-def]
    replaced = attrs.evolve(other, name=dictionary.name, database=dictionary.database)
    operations: list[Operation] = [
        CreateDictionary(dictionary=dictionary), ReplaceDictionary(before=dictionary, after=replaced),
        DropDictionary(name=dictionary.name, database=dictionary.database),
    ]
    project = ClusterSettings.from_config([_Entry(CLUSTER)])
    for operation in operations:
        assert project.cluster_of(operation) == CLUSTER  # a project with one cluster: dictionaries join it
        statements = on_cluster_statements(operation, "db", CLUSTER)
        assert len(statements) == 1
        parser(statements[0].sql)
        # per_node: each node runs the same statement without ON CLUSTER
        for single in render_statements(for_node(operation), "db"):
            parser(single.sql, on_cluster=False)


@attrs.frozen
class _Entry:
    name: str
    ddl: str = "on_cluster"
    nodes: tuple[str, ...] = ()


def test_dictionaries_follow_their_own_cluster_or_the_projects_only_one() -> None:
    own = Dictionary(name="d", cluster="mine")
    two = ClusterSettings.from_config([_Entry("a"), _Entry("b")])
    one = ClusterSettings.from_config([_Entry("a")])
    assert one.cluster_of(CreateDictionary(dictionary=own)) == "mine"
    assert one.cluster_of(CreateDictionary(dictionary=Dictionary(name="d"))) == "a"
    assert two.cluster_of(CreateDictionary(dictionary=Dictionary(name="d"))) is None
    assert two.cluster_of(DropDictionary(name="d", cluster_name="b")) == "b"
    assert one.cluster_of(ReplaceDictionary(before=own, after=Dictionary(name="d"))) == "a"


def test_for_node_strips_the_cluster() -> None:
    op = DropTable(table="t", database="db", cluster_name="c")
    assert for_node(op) == DropTable(table="t", database="db")
    assert ClusterSettings.from_config([]).cluster_of(CreateView(name="v", select_sql="SELECT 1")) is None
    created = for_node(CreateDictionary(dictionary=Dictionary(name="d", cluster="c")))
    assert isinstance(created, CreateDictionary) and created.dictionary.cluster is None


def test_distributed_ddl_report_names_unfinished_and_failed_hosts() -> None:
    assert distributed_ddl_report("CREATE …", [("h1", 9000, 0, "", 1, 0)]) == ["✓ h1:9000"]
    with pytest.raises(DistributedDdlFailed) as caught:
        distributed_ddl_report("CREATE …", [("h1", 9000, 0, "", 2, 0), ("h2", 9000, None, None, 1, 1),
                                           ("h3", 9000, 60, "Code: 60. Unknown table", 0, 0)])
    message = caught.value.one_line()
    assert "h2:9000 did not finish" in message and "h3:9000 failed: Code: 60" in message and "h1" not in message
