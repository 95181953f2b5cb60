"""The cost of ``ddl = "per_node"`` (issue 16): ``muskox migrate`` of 200 operations on a three-node cluster
against the same 200 operations on one node.

The cluster is the test fixture's (:func:`muskox_clickhouse.testing_cluster.start_cluster`: ZooKeeper and three
embedded ClickHouse 26.9 nodes on this machine). Two projects declare the same :data:`CLUSTER_OPERATIONS` tables:
one with ``OlapConfig(cluster=…)`` and the cluster configured ``per_node`` (every operation runs on all three
nodes), one without a cluster, applied to node 1 alone. Each is applied as two migrations, each a whole
``muskox migrate`` process: :data:`CLUSTER_OPERATIONS` ``CreateTable``, then as many ``AddTableColumn``. The
median over a few rounds of each (the two kinds of project alternate inside a round, so that whatever else the
machine does weighs on both) is compared; budget: :data:`CLUSTER_BUDGET` times the single node's time.

Beside it, unjudged, the floor: the same statements sent by a plain loop (a whole process, four native
connections per node, every node at once) to node 1 and to the three nodes. The three nodes share this
machine's cores, so their own work does not shrink with parallelism here as it does on three machines; the
floor's ratio shows how much of muskox's ratio is theirs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plans import planned_statements  # benchmarks/plans.py

CLUSTER_OPERATIONS = 200
CLUSTER_BUDGET = 1.5
CLUSTER_REPEAT = 5

#: The measured processes may write their bytecode caches, as an installed package has them.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def cluster_source(tables: int, cluster: str | None, *, extra_column: bool = False) -> str:
    """``app/main.py`` declaring ``tables`` MergeTree tables of a few columns, on ``cluster`` when given;
    ``extra_column`` adds one column to every table (one ``AddTableColumn`` each)."""
    on = f', cluster="{cluster}"' if cluster else ""
    lines = ["from datetime import datetime", "from typing import Optional", "from pydantic import BaseModel",
             "from muskox import Key, OlapConfig, OlapTable", "", "class Row(BaseModel):", "    id: Key[int]",
             "    ts: datetime", "    kind: str", "    value: Optional[float]"]
    if extra_column:
        lines.append("    added: Optional[str] = None")
    lines.append("")
    lines += [f'OlapTable[Row]("t_{n}", OlapConfig(order_by_fields=["id", "ts"]{on}))' for n in range(tables)]
    return "\n".join(lines) + "\n"


def write_cluster_project(project: Path, http_url: str, database: str, source: str, cluster: str | None) -> None:
    """``muskox.toml`` (file state store; the cluster ``per_node`` when given) and ``app/main.py``."""
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(source)
    clusters = f'[[clickhouse_config.clusters]]\nname = "{cluster}"\nddl = "per_node"\n' if cluster else ""
    (project / "muskox.toml").write_text(
        f'[clickhouse_config]\nurl = "{http_url}/{database}"\ndb_name = "{database}"\n{clusters}'
        '[state_config]\nstorage = "file"\n[features]\nstreaming_engine = false\n')


PLAIN_LOOP = """
import json, queue, sys, threading
from muskox_clickhouse import connect, parse_url

statements, ports = json.loads(open(sys.argv[1]).read()), [int(p) for p in sys.argv[2].split(",")]

def node(port):
    work = queue.SimpleQueue()
    for sql in statements:
        work.put(sql)
    def run():
        with connect(parse_url(f"clickhouse://127.0.0.1:{port}"), use_database=False) as client:
            while True:
                try:
                    sql = work.get_nowait()
                except queue.Empty:
                    return
                client.command(sql, settings={"flatten_nested": 0, "mutations_sync": 1})
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

nodes = [threading.Thread(target=node, args=(port,)) for port in ports]
for thread in nodes:
    thread.start()
for thread in nodes:
    thread.join()
"""
"""The floor: the statements of a JSON file sent to every port given, four connections per node."""


def _muskox(project: Path, *args: str) -> float:
    """Run ``muskox --project PROJECT ARGS`` to its end; its wall time (it must succeed)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args],
                          capture_output=True, text=True, env=ENV, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"muskox {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return seconds


def migrate_seconds(project: Path, http_url: str, database: str, cluster: str | None,
                    statements: list[list[str]] | None = None) -> tuple[float, float]:
    """Wall times of the two ``migrate`` processes (N ``CreateTable``, then N ``AddTableColumn``) of a fresh
    project in ``project``; the plans are generated first, outside the measured time. Each plan's statements
    (as one node runs them) are appended to ``statements`` when given."""
    times: list[float] = []
    for extra in (False, True):
        write_cluster_project(project, http_url, database, cluster_source(CLUSTER_OPERATIONS, cluster,
                                                                          extra_column=extra), cluster)
        _muskox(project, "generate", "migration", "--save", "--yes-all")
        if statements is not None:
            statements.append(planned_statements(project, database, per_node=True))
        times.append(_muskox(project, "migrate"))
    return times[0], times[1]


def plain_seconds(work: Path, statements: list[list[str]], ports: list[int]) -> tuple[float, float]:
    """Wall times of the plain loop (:data:`PLAIN_LOOP`) running each list of ``statements`` on ``ports``."""
    script = work / "plain_loop.py"
    script.write_text(PLAIN_LOOP)
    times = []
    for number, step in enumerate(statements):
        path = work / f"statements_{number}.json"
        path.write_text(json.dumps(step))
        started = time.perf_counter()
        subprocess.run([sys.executable, str(script), str(path), ",".join(map(str, ports))], check=True,
                       capture_output=True, env=ENV)
        times.append(time.perf_counter() - started)
    return times[0], times[1]


def cluster_times(repeat: int = CLUSTER_REPEAT) -> dict[str, tuple[float, float]]:
    """Median ``(CreateTable, AddTableColumn)`` times of ``"one node"`` and ``"3 nodes per_node"`` (muskox
    migrate) and of ``"plain loop, one node"`` and ``"plain loop, 3 nodes"`` (the floor), after one warm-up round
    (the first round writes the bytecode caches and warms the servers)."""
    from muskox_clickhouse import connect, parse_url
    from muskox_clickhouse.testing_cluster import start_cluster

    samples: dict[str, list[tuple[float, float]]] = {"one node": [], "3 nodes per_node": [],
                                                     "plain loop, one node": [], "plain loop, 3 nodes": []}
    with tempfile.TemporaryDirectory(prefix="muskox-bench-cluster-") as directory:
        work = Path(directory)
        cluster = start_cluster(work / "cluster")
        try:
            node1 = cluster.node(1).http_url

            def reset(database: str, project: Path) -> None:
                for node in cluster.nodes:
                    with connect(parse_url(node.http_url), use_database=False) as client:
                        client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
                shutil.rmtree(project, ignore_errors=True)

            ports = [node.tcp_port for node in cluster.nodes]
            for _ in range(repeat + 1):
                for label, database, on, where in (("one node", "bench_single", None, ports[:1]),
                                                   ("3 nodes per_node", "bench_cluster", cluster.sharded, ports)):
                    project = work / database
                    reset(database, project)
                    statements: list[list[str]] = []
                    samples[label].append(migrate_seconds(project, node1, database, on, statements))
                    reset(database, project)
                    for node in cluster.nodes:
                        with connect(parse_url(node.http_url), use_database=False) as client:
                            client.command(f"CREATE DATABASE `{database}`")
                    floor = "plain loop, one node" if on is None else "plain loop, 3 nodes"
                    samples[floor].append(plain_seconds(work, statements, where))
                    reset(database, project)
        finally:
            cluster.stop()
    return {label: (statistics.median(s[0] for s in runs[1:]), statistics.median(s[1] for s in runs[1:]))
            for label, runs in samples.items()}


def cluster_results(ratio: Callable[[str, tuple[str, float], tuple[str, float], float], list[Any]],
                    unjudged: Callable[..., Any]) -> list[Any]:
    """The results of ``benchmarks/run.py cluster``: for each migration, both times and their ratio judged
    against :data:`CLUSTER_BUDGET`, then the floor's (unjudged). ``ratio`` and ``unjudged`` (``Result``) are
    run.py's, which prints them."""
    found = cluster_times()
    results: list[Any] = []
    for index, kind in enumerate(("CreateTable", "AddTableColumn")):
        name = f"migrate {CLUSTER_OPERATIONS} {kind}"
        results += ratio(name, ("3 nodes per_node", found["3 nodes per_node"][index]),
                         ("one node", found["one node"][index]), CLUSTER_BUDGET)
        one, three = found["plain loop, one node"][index], found["plain loop, 3 nodes"][index]
        results += [unjudged("  floor, plain loop: 3 nodes", three, budget=None),
                    unjudged("  floor, plain loop: one node", one, budget=None),
                    unjudged("  floor, plain loop: ratio", three / one, budget=None, unit="x")]
    return results


if __name__ == "__main__":
    found = cluster_times()
    for kind, index in (("CreateTable", 0), ("AddTableColumn", 1)):
        for one, three in (("one node", "3 nodes per_node"), ("plain loop, one node", "plain loop, 3 nodes")):
            first, second = found[one][index], found[three][index]
            print(f"{kind} x{CLUSTER_OPERATIONS}: {one} {first:.3f} s, {three} {second:.3f} s, "
                  f"ratio {second / first:.2f}")
