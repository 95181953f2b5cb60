"""``ddl = "per_node"`` on a real three-node cluster (ZooKeeper + three embedded 26.9 nodes): a project with local
tables, a Distributed table over them, a view and a materialized view is applied on every node; rows written
through the Distributed table are read back; an ALTER by hand on node 2 is drift naming node 2; a stopped node
stops the run before anything executes; concurrent migrates through different nodes apply once (KeeperMap state
and lock on the shared ZooKeeper)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import clickhouse_connect

from muskox.exit_codes import ExitCode
from muskox_clickhouse.testing_cluster import ClickHouseCluster
from tests.conftest import CliRunner

MAIN = """
from muskox import DistributedEngine, Key, MaterializedView, MaterializedViewOptions, OlapConfig, OlapTable
from muskox import View, ViewConfig
from pydantic import BaseModel

class Event(BaseModel):
    id: Key[int]
    kind: str
{extra}
class PerKind(BaseModel):
    kind: str
    n: int

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"], cluster="muskox_test"))
events_all = OlapTable[Event]("events_all", OlapConfig(cluster="muskox_test", engine=DistributedEngine(
    cluster="muskox_test", target_database="{db}", target_table="events", sharding_key="id")))
per_kind = OlapTable[PerKind]("per_kind", OlapConfig(order_by_fields=["kind"], cluster="muskox_test"))
per_kind_mv = MaterializedView[PerKind](MaterializedViewOptions(
    select_statement="SELECT kind, toInt64(count()) AS n FROM events GROUP BY kind", select_tables=[events],
    materialized_view_name="per_kind_mv"), target_table=per_kind)
kinds = View("kinds", ViewConfig(select_statement="SELECT DISTINCT kind FROM events", base_tables=[events]))
"""


def _project(root: Path, cluster: ClickHouseCluster, db: str, node: int = 1, extra: str = "") -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "main.py").write_text(textwrap.dedent(MAIN).format(db=db, extra=extra))
    (root / "muskox.toml").write_text(textwrap.dedent(f"""
        [clickhouse_config]
        url = "{cluster.node(node).http_url}/{db}"
        db_name = "{db}"
        [[clickhouse_config.clusters]]
        name = "muskox_test"
        ddl = "per_node"
        [state_config]
        storage = "clickhouse"
        [features]
        streaming_engine = false
    """))
    return root


def _client(cluster: ClickHouseCluster, node: int):  # type: ignore[no-untyped-def]
    return clickhouse_connect.get_client(host="127.0.0.1", port=cluster.node(node).http_port)


def _tables(cluster: ClickHouseCluster, node: int, db: str) -> list[str]:
    rows = _client(cluster, node).query(f"SELECT name FROM system.tables WHERE database = '{db}' "
                                        "AND NOT startsWith(name, '_MOOSE') ORDER BY name").result_rows
    return [r[0] for r in rows]


def test_per_node_apply_drift_and_down_node(clickhouse_cluster: ClickHouseCluster, run_muskox: CliRunner,
                                            tmp_path: Path) -> None:
    cluster = clickhouse_cluster
    db = f"pn_{uuid.uuid4().hex[:8]}"
    project = _project(tmp_path / "p", cluster, db)
    saved = run_muskox("generate", "migration", "--save", cwd=project)
    assert saved.returncode == 0, saved.stderr
    plan = (project / "migrations" / "plan.yaml").read_text()
    assert plan.index("events_all") > plan.index("CreateTable")  # the Distributed table after its local table
    applied = run_muskox("migrate", cwd=project)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    for node in (1, 2, 3):
        assert f"node {node} (127.0.0.1:{cluster.node(node).tcp_port})" in applied.stderr
        assert _tables(cluster, node, db) == ["events", "events_all", "kinds", "per_kind", "per_kind_mv"]
    c1 = _client(cluster, 1)
    c1.command(f"INSERT INTO {db}.events_all SETTINGS distributed_foreground_insert = 1 "
               "SELECT number, if(number % 2, 'a', 'b') FROM numbers(60)")
    assert c1.query(f"SELECT count() FROM {db}.events_all").result_rows[0][0] == 60
    assert all(_client(cluster, n).query(f"SELECT count() FROM {db}.events").result_rows[0][0] for n in (1, 2, 3))
    empty = run_muskox("plan", "--exit-code", cwd=project)
    assert empty.returncode == 0, empty.stdout + empty.stderr

    # drift on node 2 only
    _client(cluster, 2).command(f"ALTER TABLE {db}.events ADD COLUMN sneaky UInt8")
    drift = run_muskox("plan", cwd=project)
    assert drift.returncode == 8, drift.stdout + drift.stderr
    assert f"node 2 (127.0.0.1:{cluster.node(2).tcp_port})" in drift.stderr and "sneaky" in drift.stderr
    assert "node 1 (" not in drift.stderr and "node 3 (" not in drift.stderr
    _client(cluster, 2).command(f"ALTER TABLE {db}.events DROP COLUMN sneaky")

    # node 3 down: nothing runs
    _project(project, cluster, db, extra="    note: str = ''\n")
    assert run_muskox("generate", "migration", "--save", cwd=project).returncode == 0
    cluster.stop_node(3)
    try:
        down = run_muskox("migrate", cwd=project)
        assert down.returncode != 0
        assert f"127.0.0.1:{cluster.node(3).tcp_port}" in down.stderr and "nothing was executed" in down.stderr
        for node in (1, 2):
            columns = _client(cluster, node).query(f"SELECT name FROM system.columns WHERE database = '{db}' "
                                                   "AND table = 'events'").result_rows
            assert ("note",) not in columns
    finally:
        cluster.start_node(3)


def test_concurrent_migrates_through_different_nodes_apply_once(clickhouse_cluster: ClickHouseCluster,
                                                                tmp_path: Path) -> None:
    cluster = clickhouse_cluster
    db = f"cc_{uuid.uuid4().hex[:8]}"
    first = _project(tmp_path / "p0", cluster, db)
    generated = subprocess.run([sys.executable, "-m", "muskox", "generate", "migration", "--save"], cwd=first,
                               capture_output=True, text=True, check=False)
    assert generated.returncode == 0, generated.stderr
    projects = []
    for i in range(8):
        project = _project(tmp_path / f"p{i + 1}", cluster, db, node=i % 3 + 1)
        (project / "migrations").mkdir()
        for f in (first / "migrations").iterdir():
            (project / "migrations" / f.name).write_bytes(f.read_bytes())
        projects.append(project)

    def migrate(project: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "muskox", "migrate"], cwd=project,
                              capture_output=True, text=True, check=False, timeout=300)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(migrate, projects))
    outputs = [r.stdout + r.stderr for r in results]
    ran = [o for o in outputs if "Recorded plan" in o]
    assert len(ran) == 1, outputs  # one applied; the others found the lock held or the plan already applied
    assert all(r.returncode in (0, int(ExitCode.LOCK_HELD)) for r in results), outputs
    for node in (1, 2, 3):
        assert _tables(cluster, node, db) == ["events", "events_all", "kinds", "per_kind", "per_kind_mv"]
