"""What ``plan`` says about clusters before anything runs: a cluster the code names that is not configured, a
configured cluster the server does not know (exit 3, one line naming the TOML to add), and each node's state in
``ls --json`` and ``plan --json`` on the real three-node cluster (ZooKeeper + three embedded 26.9 nodes)."""

from __future__ import annotations

import concurrent.futures
import io
import json
import textwrap
import uuid
from pathlib import Path

import clickhouse_connect
import pytest

import muskox_clickhouse.apply as apply_module
from muskox.errors import ConfigError
from muskox.exit_codes import ExitCode
from muskox.model.dictionary import Dictionary
from muskox.model.infra_map import InfraMap
from muskox.model.operations import CreateTable
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox_clickhouse import connect
from muskox_clickhouse.cluster.settings import ClusterSettings
from muskox_clickhouse.cluster.support import ClusterSupport
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.testing_cluster import ClickHouseCluster
from muskox_clickhouse.url import parse_url
from tests.conftest import CliRunner

MAIN = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable

class Event(BaseModel):
    id: Key[int]
    kind: str

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]{cluster}))
"""


def _project(root: Path, url: str, db: str, *, table_cluster: str | None, clusters: str = "") -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    cluster = f', cluster="{table_cluster}"' if table_cluster else ""
    (root / "app" / "main.py").write_text(textwrap.dedent(MAIN).format(cluster=cluster))
    (root / "muskox.toml").write_text(
        f'[clickhouse_config]\nurl = "{url}/{db}"\ndb_name = "{db}"\n{textwrap.dedent(clusters)}'
        '[state_config]\nstorage = "file"\n[features]\nstreaming_engine = false\n')
    return root


def _error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("muskox: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


# -- a cluster the code names is not configured (no cluster needed) -------------------------------------------


def test_plan_refuses_a_table_naming_a_cluster_that_is_not_configured(clickhouse_server: RunningServer,
                                                                      run_muskox: CliRunner, tmp_path: Path) -> None:
    project = _project(tmp_path / "p", clickhouse_server.http_url, f"uc_{uuid.uuid4().hex[:8]}",
                       table_cluster="analytics")
    for command in (("plan",), ("plan", "--json"), ("generate", "migration", "--save")):
        done = run_muskox(*command, cwd=project)
        assert done.returncode == ExitCode.CONFIG, (command, done.stdout, done.stderr)
        line = _error_line(done.stderr)
        assert "table 'events' names cluster 'analytics'" in line
        assert '[[clickhouse_config.clusters]] name = "analytics"' in line
    assert not (project / "migrations").exists()  # nothing written


def test_declared_clusters_are_checked_with_one_error_for_all() -> None:
    def table(name: str, cluster: str | None) -> Table:
        return Table(name=name, columns=(Column(name="id", data_type=Simple("UInt64")),), order_by=("id",),
                     cluster=cluster)

    target = InfraMap.of("db", tables=[table("a", "x"), table("b", "y"), table("c", "x"), table("d", "ok"),
                                       table("e", None)],
                         dictionaries=[Dictionary(name="lookup", cluster="y")])
    settings = ClusterSettings.from_config([_Entry("ok")])
    with pytest.raises(ConfigError) as caught:
        settings.check_declared(target)
    message = caught.value.one_line()
    assert "table 'a', table 'c' name cluster 'x'" in message
    assert "table 'b', dictionary 'lookup' name cluster 'y'" in message
    assert "'ok'" not in message.split("Fix:")[0].replace("(listed: ok)", "")
    assert '[[clickhouse_config.clusters]] name = "x"' in message
    assert '[[clickhouse_config.clusters]] name = "y"' in message
    settings.check_declared(InfraMap.of("db", tables=[table("d", "ok"), table("e", None)]))  # nothing to say


@pytest.mark.parametrize("ddl", ["per_node", "on_cluster"])
@pytest.mark.parametrize("keeper_path", [None, "/clickhouse/tables/{shard}/{database}/{table}"])
def test_a_replicated_table_of_a_per_node_cluster_needs_its_keeper_path(ddl: str, keeper_path: str | None) -> None:
    """per_node creates the table on each node by itself: with the {uuid} default path each node would replicate
    with nobody. Refused at plan (check_declared) and before a run (check_operations) alike."""
    from muskox.model.engines import MergeTree, Replication

    table = Table(name="events", columns=(Column(name="id", data_type=Simple("UInt64")),), order_by=("id",),
                  cluster="c", engine=MergeTree(replication=Replication(keeper_path=keeper_path,
                                                                        replica_name="{replica}")))
    settings = ClusterSettings.from_config([_Entry("c", ddl=ddl)])
    refused = ddl == "per_node" and keeper_path is None
    declared = lambda: settings.check_declared(InfraMap.of("db", tables=[table]))  # noqa: E731
    before_run = lambda: ClusterSupport(settings, parse_url("http://127.0.0.1:1/db")).check_operations(  # noqa: E731
        [CreateTable(table=table)], None)  # type: ignore[arg-type]  # refused before any server is asked
    for check in (declared, before_run) if refused or ddl == "on_cluster" else (declared,):
        if refused:
            with pytest.raises(ConfigError, match=r"table 'events' is replicated on cluster 'c'.*keeper_path="):
                check()
        else:
            check()


class _Entry:
    def __init__(self, name: str, ddl: str = "on_cluster") -> None:
        self.name = name
        self.ddl = ddl
        self.nodes: list[str] = []


# -- on the real cluster ----------------------------------------------------------------------------------------


def test_plan_refuses_clusters_unknown_to_the_toml_or_to_the_server(clickhouse_cluster: ClickHouseCluster,
                                                                    run_muskox: CliRunner, tmp_path: Path) -> None:
    url, db = clickhouse_cluster.node(1).http_url, f"uk_{uuid.uuid4().hex[:8]}"
    known = '[[clickhouse_config.clusters]]\nname = "muskox_test"\nddl = "per_node"\n'
    not_in_toml = _project(tmp_path / "a", url, db, table_cluster="muskox_replicas", clusters=known)
    done = run_muskox("plan", cwd=not_in_toml)
    assert done.returncode == ExitCode.CONFIG, done.stdout + done.stderr
    line = _error_line(done.stderr)
    assert "names cluster 'muskox_replicas'" in line and "(listed: muskox_test)" in line
    assert '[[clickhouse_config.clusters]] name = "muskox_replicas"' in line

    ghost = known + '[[clickhouse_config.clusters]]\nname = "ghost"\n'
    not_on_server = _project(tmp_path / "b", url, db, table_cluster="muskox_test", clusters=ghost)
    done = run_muskox("plan", cwd=not_on_server)
    assert done.returncode == ExitCode.CONFIG, done.stdout + done.stderr
    line = _error_line(done.stderr)
    assert "cluster 'ghost' of [[clickhouse_config.clusters]] is not defined on the server" in line
    assert "muskox_test" in line and "muskox_replicas" in line  # what system.clusters lists
    assert 'nodes = ["clickhouse://HOST:9000"' in line  # the TOML that makes it work without the server's help


def test_ls_and_plan_json_show_each_node(clickhouse_cluster: ClickHouseCluster, run_muskox: CliRunner,
                                         tmp_path: Path) -> None:
    cluster = clickhouse_cluster
    db = f"ns_{uuid.uuid4().hex[:8]}"
    project = _project(tmp_path / "p", cluster.node(1).http_url, db, table_cluster="muskox_test",
                       clusters='[[clickhouse_config.clusters]]\nname = "muskox_test"\nddl = "per_node"\n')
    assert run_muskox("generate", "migration", "--save", cwd=project).returncode == 0
    applied = run_muskox("migrate", cwd=project)
    assert applied.returncode == 0, applied.stderr
    ports = [node.tcp_port for node in cluster.nodes]

    def nodes_of(*command: str) -> list[dict[str, object]]:
        done = run_muskox(*command, "--json", cwd=project)
        assert done.returncode == 0, done.stdout + done.stderr
        section = json.loads(done.stdout)["nodes"]
        assert list(section) == ["muskox_test"]
        entries: list[dict[str, object]] = section["muskox_test"]
        assert [e["node"] for e in entries] == [1, 2, 3] and [e["port"] for e in entries] == ports
        return entries

    for command in ("ls", "plan"):
        assert all(e["reachable"] and e["same_schema"] is True and e["differences"] == []
                   for e in nodes_of(command)), command

    node2 = clickhouse_connect.get_client(host="127.0.0.1", port=cluster.node(2).http_port)
    node2.command(f"ALTER TABLE {db}.events ADD COLUMN sneaky UInt8")
    try:
        entries = nodes_of("ls")  # ls --json lists the difference instead of stopping on it
        assert [e["same_schema"] for e in entries] == [True, False, True]
        assert any("sneaky" in line for line in entries[1]["differences"])  # type: ignore[attr-defined]
        assert run_muskox("plan", "--json", cwd=project).returncode == ExitCode.DRIFT  # plan still refuses
    finally:
        node2.command(f"ALTER TABLE {db}.events DROP COLUMN sneaky")

    cluster.stop_node(3)
    try:
        entries = nodes_of("ls")
        assert [e["reachable"] for e in entries] == [True, True, False]
        assert [e["same_schema"] for e in entries] == [True, True, None] and entries[2]["error"]
    finally:
        cluster.start_node(3)


def test_per_node_keeps_each_nodes_connections_for_the_run(clickhouse_cluster: ClickHouseCluster,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Operations applied one after the other, from several caller threads, open one connection per node and
    worker thread, not one per operation (they used to open a fresh one each time)."""
    opened: list[str] = []
    real_connect = apply_module.connect

    def counting_connect(url, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(f"{url.host}:{url.port}")
        return real_connect(url, **kwargs)

    monkeypatch.setattr(apply_module, "connect", counting_connect)
    db = f"pool_{uuid.uuid4().hex[:8]}"
    url = parse_url(f"{clickhouse_cluster.node(1).http_url}/{db}")
    support = ClusterSupport(ClusterSettings.from_config([_Entry("muskox_test", ddl="per_node")]), url)
    main = clickhouse_connect.get_client(host="127.0.0.1", port=clickhouse_cluster.node(1).http_port)
    column = Column(name="id", data_type=Simple("UInt64"))
    operations = [CreateTable(table=Table(name=f"t{i}", columns=(column,), order_by=("id",), cluster="muskox_test"))
                  for i in range(24)]
    with connect(url, use_database=False) as client:
        applier = support.applier(url, client, connect_timeout=5, query_timeout=60, mutation_timeout=None)
        applier.out = io.StringIO()
        try:
            with concurrent.futures.ThreadPoolExecutor(2) as callers:
                list(callers.map(applier.apply, operations))
        finally:
            support.close()
    for node in clickhouse_cluster.nodes:
        tables = main.query(f"SELECT count() FROM remote('{node.address}', system.tables) "
                            f"WHERE database = '{db}'").result_rows[0][0]
        assert tables == 24
        # at most two connections per worker thread (with and without the database current), at most two
        # worker threads busy at once (two callers): far fewer than one per operation
        assert opened.count(node.address) <= 4, opened
