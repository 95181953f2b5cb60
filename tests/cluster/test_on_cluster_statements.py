"""Every ``ON CLUSTER`` statement kind muskox emits, for hypothesis-generated tables and their changes, parsed by
the real server (``formatQuery``): the embedded 26.9 cannot run distributed DDL, so these are parser-checked only.
"""

from __future__ import annotations

import attrs
import clickhouse_connect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.model.engines import MergeTree, Replication
from muskox.model.infra_map import InfraMap
from muskox.model.operations import (
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropMaterializedView,
    DropTable,
    DropView,
    Operation,
    TableOperation,
)
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox.testing.strategies import schema_pairs, tables
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
_CLUSTERED = (TableOperation, CreateTable, CreateView, DropView, CreateMaterializedView, DropMaterializedView)


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


def test_for_node_strips_the_cluster() -> None:
    op = DropTable(table="t", database="db", cluster_name="c")
    assert for_node(op) == DropTable(table="t", database="db")
    assert ClusterSettings.from_config([]).cluster_of(CreateView(name="v", select_sql="SELECT 1")) is None


def test_distributed_ddl_report_names_unfinished_and_failed_hosts() -> None:
    assert distributed_ddl_report("CREATE …", [("h1", 9000, 0, "", 1, 0)]) == ["✓ h1:9000"]
    with pytest.raises(DistributedDdlFailed) as caught:
        distributed_ddl_report("CREATE …", [("h1", 9000, 0, "", 2, 0), ("h2", 9000, None, None, 1, 1),
                                           ("h3", 9000, 60, "Code: 60. Unknown table", 0, 0)])
    message = caught.value.one_line()
    assert "h2:9000 did not finish" in message and "h3:9000 failed: Code: 60" in message and "h1" not in message
