"""The performance budgets of muskox, measured as wall time of whole processes.

Run with ``nox -s bench`` (or ``.venv/bin/python benchmarks/run.py [help|introspect|plan|apply|ls …]`` for some
of them; ``ls`` measures ``muskox ls`` and ``muskox db pull``). Each benchmark prints its median, its budget and
OK/OVER; the exit code is 1 when a budget is exceeded. Never used as a test assertion.
"""

from __future__ import annotations

import concurrent.futures
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plans import planned_statements  # benchmarks/plans.py


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float
    budget: float | None
    """None: printed beside a budgeted result, not judged itself."""
    unit: str = "s"

    @property
    def ok(self) -> bool:
        return self.budget is None or self.seconds <= self.budget

    def line(self) -> str:
        if self.budget is None:
            return f"{self.name:<66} {self.seconds:8.3f} {self.unit}"
        verdict = "OK" if self.ok else "OVER"
        return (f"{self.name:<66} {self.seconds:8.3f} {self.unit}   budget {self.budget:6.2f} {self.unit}   "
                f"{verdict}")


def median_wall_time(run: Callable[[], None], repeat: int) -> float:
    """The median wall time of ``run`` over ``repeat`` calls (after one warm-up call)."""
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


#: The environment of the measured processes: Python may write its bytecode caches (``PYTHONDONTWRITEBYTECODE``
#: dropped), as an installed package has them; the warm-up run of each benchmark writes what is missing.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def muskox(*args: str) -> Callable[[], None]:
    def run() -> None:
        subprocess.run([sys.executable, "-m", "muskox", *args], check=True, capture_output=True, env=ENV)

    return run


INTROSPECTION_TABLES = 2000
INTROSPECTION_COLUMNS = 10


def introspection_time(tables: int = INTROSPECTION_TABLES, columns: int = INTROSPECTION_COLUMNS,
                       repeat: int = 5) -> float:
    """Median time of ``introspect`` (over HTTP) on a local server holding ``tables`` tables of ``columns``
    columns each (keys, a TTL, codecs, comments, settings, all varying by table; an index on every tenth)."""
    from muskox.testing.processes import free_port
    from muskox_clickhouse import connect, parse_url
    from muskox_clickhouse.introspect import introspect
    from muskox_clickhouse.local import LocalClickHouse

    database = "bench"
    column_sql = ", ".join(["`id` UInt64", "`ts` DateTime"] + [
        f"`c{i}` {'String' if i % 2 else 'Nullable(Float64)'} COMMENT 'column {i}' CODEC(ZSTD(3))"
        for i in range(columns - 2)])

    def create(client_url: str, numbers: range) -> None:
        with connect(parse_url(client_url), use_database=False) as client:
            for n in numbers:
                index = ", INDEX i_ts ts TYPE minmax GRANULARITY 1" if n % 10 == 0 else ""
                order_by = "(id, ts)" if n % 2 else "(ts, id)"
                client.command(f"CREATE TABLE {database}.t_{n} ({column_sql}{index}) ENGINE = MergeTree "
                               f"PARTITION BY toYYYYMM(ts) ORDER BY {order_by} TTL ts + INTERVAL {n % 365 + 1} DAY "
                               f"SETTINGS merge_with_ttl_timeout = {3600 + n}")

    with tempfile.TemporaryDirectory(prefix="muskox-bench-") as work:
        http_port, tcp_port = free_port(), free_port()
        local = LocalClickHouse(Path(work), http_port, tcp_port)
        server = local.start()
        try:
            with connect(parse_url(server.http_url), use_database=False) as client:
                client.command(f"CREATE DATABASE {database}")
                workers = 8
                with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                    list(pool.map(lambda w: create(server.http_url, range(w, tables, workers)), range(workers)))

                def run() -> None:
                    found = introspect(client, [database], database)
                    assert len(found.tables) == tables

                return median_wall_time(run, repeat=repeat)
        finally:
            local.stop()


# -- muskox plan with nothing to do ----------------------------------------------------------------------

PLAN_SIZES = ((200, 0.5), (10_000, 5.0))
PLAN_COLUMNS = 10
PLAN_MODELS = 10
_FIELD_TYPES = (
    'Annotated[str, "LowCardinality"]', "Optional[float]", "UInt32", 'Annotated[str, clickhouse_codec("ZSTD(3)")]',
    'Annotated[float, clickhouse_default("0")]', "list[str]", "Optional[str]", "Int16",
    'Annotated[datetime, clickhouse_codec("Delta, LZ4")]', "bool", "Decimal",
)


def project_source(tables: int, columns: int = PLAN_COLUMNS, *, models: int = PLAN_MODELS,
                   extra_column: bool = False) -> str:
    """``app/main.py`` declaring ``tables`` tables of ``columns`` columns over ``models`` schema classes (keys,
    partitions, TTLs, settings and an index varying by table); ``extra_column`` adds one column to every model."""
    lines = ["from datetime import datetime", "from decimal import Decimal", "from typing import Annotated, Optional",
             "from pydantic import BaseModel",
             "from muskox import (Key, OlapConfig, OlapTable, TableIndex, UInt32, Int16, clickhouse_codec,",
             "                    clickhouse_default)", ""]
    for m in range(models):
        lines += [f"class Model{m}(BaseModel):", "    id: Key[int]", "    ts: datetime"]
        lines += [f"    c{i}: {_FIELD_TYPES[(m + i) % len(_FIELD_TYPES)]}" for i in range(columns - 2)]
        if extra_column:
            lines.append("    added: Optional[str] = None")
        lines.append("")
    for n in range(tables):
        order_by = '["id", "ts"]' if n % 2 else '["ts", "id"]'
        index = ', indexes=[TableIndex(name="i_ts", expression="ts", type="minmax")]' if n % 10 == 0 else ""
        lines.append(f'OlapTable[Model{n % models}]("t_{n}", OlapConfig(order_by_fields={order_by}, '
                     f'partition_by="toYYYYMM(ts)", ttl="ts + INTERVAL {n % 365 + 1} DAY", '
                     f'settings={{"merge_with_ttl_timeout": "{3600 + n}"}}{index}))')
    return "\n".join(lines) + "\n"


def write_project(project: Path, database: str, source: str) -> None:
    """A project directory: ``muskox.toml`` (file state store) and ``app/main.py``."""
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(source)
    (project / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                         '[state_config]\nstorage = "file"\n')


def run_muskox(project: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args], check=True,
                   capture_output=True, env=ENV)


def apply_project(project: Path, url: str) -> None:
    """``generate migration --save --yes-all`` then ``migrate``: the database and the state match the code."""
    run_muskox(project, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    run_muskox(project, "migrate", "--clickhouse-url", url)


def plan_times(http_url: str, work: Path, database: str, source: str, *, floor: bool = False,
               repeat: int = 5) -> tuple[float, float | None]:
    """Median wall times of a whole ``muskox plan --exit-code`` process that finds nothing to do on the project
    ``source`` (applied by muskox itself first), and with ``floor`` of a process that only imports that project's
    code (the floor: what collecting the code costs at least)."""
    from muskox_clickhouse import connect, parse_url

    project = work / database
    url = f"{http_url}/{database}"
    write_project(project, database, source)

    def import_only() -> None:
        subprocess.run([sys.executable, "-c", "import app.main"], cwd=project, check=True, capture_output=True,
                       env={**ENV, "PYTHONPATH": str(project)})

    try:
        apply_project(project, url)
        plan = median_wall_time(muskox("--project", str(project), "plan", "--clickhouse-url", url, "--exit-code"),
                                repeat=repeat)
        return plan, median_wall_time(import_only, repeat=repeat) if floor else None
    finally:  # the next benchmark starts from an empty server
        with connect(parse_url(http_url), use_database=False) as client:
            client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


DISTINCT_MODELS = 200


def ratio(name: str, measured: tuple[str, float], base: tuple[str, float], budget: float) -> list[Result]:
    """Two unjudged measurements and their ratio, judged against ``budget``."""
    return [Result(f"{name}: {measured[0]}", measured[1], budget=None),
            Result(f"{name}: {base[0]}", base[1], budget=None),
            Result(f"{name}: ratio", measured[1] / base[1], budget=budget, unit="x")]


# -- applying operations: muskox migrate against a plain clickhouse-connect loop -------------------------

APPLY_TABLES = 200
APPLY_CONNECTIONS = 4

PLAIN_LOOP = """
import json, queue, sys, threading
import clickhouse_connect

host, port, database, path, connections = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
work = queue.SimpleQueue()
for sql in json.loads(open(path).read()):
    work.put(sql)
clients = [clickhouse_connect.get_client(host=host, port=port) for _ in range(connections)]
clients[0].command(f"CREATE DATABASE IF NOT EXISTS `{database}`")

def run(client):
    while True:
        try:
            sql = work.get_nowait()
        except queue.Empty:
            return
        client.command(sql, settings={"flatten_nested": 0})

threads = [threading.Thread(target=run, args=(client,)) for client in clients]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""
"""The plain loop: the statements of a JSON file sent by ``connections`` threads, each with its own client."""


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - started


def apply_times(http_url: str, work: Path, repeat: int = 3) -> tuple[float, float]:
    """Median wall times of applying :data:`APPLY_TABLES` ``CreateTable`` then as many ``AddTableColumn``
    operations (two migrations): through ``muskox migrate``, and as the same statements sent by a plain
    :data:`APPLY_CONNECTIONS`-connection clickhouse-connect loop (each a whole process)."""
    from muskox_clickhouse import connect, parse_url

    database = "apply_bench"
    project = work / database
    url = f"{http_url}/{database}"
    server = parse_url(http_url)
    script = work / "plain_loop.py"
    script.write_text(PLAIN_LOOP)
    steps = [project_source(APPLY_TABLES), project_source(APPLY_TABLES, extra_column=True)]

    def reset() -> None:
        with connect(server, use_database=False) as client:
            client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
        shutil.rmtree(project, ignore_errors=True)

    muskox_samples: list[float] = []
    plain_samples: list[float] = []
    for _ in range(repeat + 1):  # the first round warms up
        reset()
        statements: list[list[str]] = []
        muskox_seconds = 0.0
        for source in steps:
            write_project(project, database, source)
            run_muskox(project, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
            statements.append(planned_statements(project, database))
            muskox_seconds += timed([sys.executable, "-m", "muskox", "--project", str(project), "migrate",
                                     "--clickhouse-url", url])
        assert [len(s) for s in statements] == [APPLY_TABLES, APPLY_TABLES], [len(s) for s in statements]
        reset()
        plain_seconds = 0.0
        for number, step in enumerate(statements):
            path = work / f"statements_{number}.json"
            path.write_text(json.dumps(step))
            plain_seconds += timed([sys.executable, str(script), server.host, str(server.port), database, str(path),
                                    str(APPLY_CONNECTIONS)])
        muskox_samples.append(muskox_seconds)
        plain_samples.append(plain_seconds)
    reset()
    return statistics.median(muskox_samples[1:]), statistics.median(plain_samples[1:])


# -- muskox ls and muskox db pull on a database of many tables ---------------------------------------------

INVENTORY_TABLES = 2000


#: A server is settled when it uses less than this share of one core (over :data:`SETTLE_WINDOW` seconds).
SETTLED_CORE_SHARE = 0.05
SETTLE_WINDOW = 2.0
SETTLE_LIMIT = 600.0


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` (all its threads), from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_settled(pid: int) -> float:
    """Seconds until the server process ``pid`` uses less than :data:`SETTLED_CORE_SHARE` of a core (at most
    :data:`SETTLE_LIMIT`). A ClickHouse that has just created 2,000 MergeTree tables spends a fifth to half a core
    on their background tasks for minutes afterwards (their schedules back off slowly): on a two-core machine that
    server work, not the command's, would be measured."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_LIMIT:
        before = process_cpu_seconds(pid)
        time.sleep(SETTLE_WINDOW)
        if (process_cpu_seconds(pid) - before) / SETTLE_WINDOW < SETTLED_CORE_SHARE:
            break
    return time.monotonic() - started


@dataclass(frozen=True)
class InventoryTimes:
    listing_fresh: float
    """``muskox ls`` right after the tables were created (the server busy with their background tasks)."""
    settled_after: float
    """Seconds the server took to settle."""
    listing: float
    """``muskox ls`` on the settled server (the budgeted figure)."""
    pull: float


def inventory_times(http_url: str, server_pid: int, work: Path, repeat: int = 5) -> InventoryTimes:
    """Median wall times of a whole ``muskox ls`` process on a project of :data:`INVENTORY_TABLES` tables (applied by
    muskox first), right after creating them and once the server settled (:func:`wait_until_settled`), and of a
    whole ``muskox db pull`` process writing declarations for that database into an empty project (its ``app/``
    removed before every run)."""
    from muskox_clickhouse import connect, parse_url

    database = "inventory_bench"
    project, empty = work / database, work / "pull_bench"
    url = f"{http_url}/{database}"
    write_project(project, database, project_source(INVENTORY_TABLES))
    write_project(empty, database, "")
    listing = muskox("--project", str(project), "ls", "--clickhouse-url", url)

    def pull() -> None:
        shutil.rmtree(empty / "app", ignore_errors=True)
        run_muskox(empty, "db", "pull", "--clickhouse-url", url)

    try:
        apply_project(project, url)
        fresh = median_wall_time(listing, repeat=repeat)
        waited = wait_until_settled(server_pid)
        return InventoryTimes(fresh, waited, median_wall_time(listing, repeat=repeat),
                              median_wall_time(pull, repeat=repeat))
    finally:
        with connect(parse_url(http_url), use_database=False) as client:
            client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def server_benchmarks(plan: bool = True, apply: bool = True, inventory: bool = False) -> list[Result]:
    """The benchmarks that drive whole ``muskox`` processes against one local server."""
    from muskox.testing.processes import free_port
    from muskox_clickhouse.local import LocalClickHouse

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="muskox-bench-") as directory:
        work = Path(directory)
        local = LocalClickHouse(work / "server", free_port(), free_port())
        server = local.start()
        try:
            for tables, budget in PLAN_SIZES if plan else ():
                plan_seconds, _floor = plan_times(server.http_url, work, f"plan_{tables}", project_source(tables))
                results.append(Result(f"muskox plan, no changes, {tables} tables x {PLAN_COLUMNS} columns",
                                      plan_seconds, budget=budget))
            if plan:
                source = project_source(DISTINCT_MODELS, models=DISTINCT_MODELS)
                cold, floor = plan_times(server.http_url, work, "plan_distinct", source, floor=True)
                assert floor is not None
                results += ratio(f"no-change plan, {DISTINCT_MODELS} distinct models", ("muskox plan", cold),
                                 ("importing the code alone", floor), budget=1.3)
            if inventory:
                found = inventory_times(server.http_url, server.pid, work)
                results += [Result(f"muskox ls, {INVENTORY_TABLES} tables x {PLAN_COLUMNS} columns (settled server)",
                                   found.listing, budget=1.0),
                            Result("  the same right after creating the tables (server busy with them)",
                                   found.listing_fresh, budget=None),
                            Result("  time the server took to settle", found.settled_after, budget=None),
                            Result(f"muskox db pull, {INVENTORY_TABLES} tables x {PLAN_COLUMNS} columns", found.pull,
                                   budget=3.0)]
            if apply:
                through_muskox, plain = apply_times(server.http_url, work)
                results += ratio(f"apply {APPLY_TABLES} CreateTable + {APPLY_TABLES} AddTableColumn",
                                 ("muskox migrate", through_muskox),
                                 (f"plain {APPLY_CONNECTIONS}-connection loop", plain), budget=1.5)
        finally:
            local.stop()
    return results


# -- muskox dev: from a save to the change applied ----------------------------------------------------------

DEV_TABLES = 200
DEV_SAVES = 20


def dev_source(base: str, added: int) -> str:
    """``base`` (the other tables) and one more table whose model has ``added`` extra columns: each save adds one."""
    columns = "".join(f"    extra_{k}: str\n" for k in range(added))
    return (base + "\nclass DevModel(BaseModel):\n    id: Key[int]\n" + columns
            + '\ndev_target = OlapTable[DevModel]("dev_target", OlapConfig(order_by_fields=["id"]))\n')


def dev_latencies(http_url: str, work: Path, saves: int = DEV_SAVES) -> list[float]:
    """Seconds from writing ``app/main.py`` (one added column, on a :data:`DEV_TABLES`-table project) to the
    ``✓ Applied`` line of a running ``muskox dev``, for each of ``saves`` saves made one after the other."""
    import queue
    import signal
    import threading

    project = work / "dev"
    base = project_source(DEV_TABLES - 1)
    write_project(project, "dev_bench", dev_source(base, 0))
    process = subprocess.Popen([sys.executable, "-m", "muskox", "--project", str(project), "dev", "--clickhouse-url",
                                f"{http_url}/dev_bench", "--yes-all"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=ENV, text=True)
    lines: queue.Queue[str] = queue.Queue()
    output = process.stdout
    assert output is not None
    threading.Thread(target=lambda: [lines.put(line) for line in output], daemon=True).start()

    def wait_for(prefix: str) -> None:
        while True:
            line = lines.get(timeout=300)
            if line.startswith(prefix):
                return
            if line.startswith("✗"):
                raise RuntimeError(f"muskox dev failed: {line}")

    try:
        wait_for("Watching ")
        samples = []
        for added in range(1, saves + 1):
            started = time.perf_counter()
            (project / "app" / "main.py").write_text(dev_source(base, added))
            wait_for("✓ Applied")
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def dev_benchmarks() -> list[Result]:
    """The median (budget 0.5 s) and 95th percentile (budget 1 s) of :func:`dev_latencies` on a local server."""
    from muskox.testing.processes import free_port
    from muskox_clickhouse.local import LocalClickHouse

    with tempfile.TemporaryDirectory(prefix="muskox-bench-") as directory:
        local = LocalClickHouse(Path(directory) / "server", free_port(), free_port())
        server = local.start()
        try:
            samples = sorted(dev_latencies(server.http_url, Path(directory)))
        finally:
            local.stop()
    p95 = samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)]
    name = f"muskox dev, save to applied (1 column, {DEV_TABLES} tables)"
    return [Result(f"{name}, median of {len(samples)}", statistics.median(samples), budget=0.5),
            Result(f"{name}, p95 of {len(samples)}", p95, budget=1.0)]


BENCHMARKS = ("help", "introspect", "plan", "apply", "ls", "dev", "rehearse", "cluster")


def rehearsal_benchmarks() -> list[Result]:
    """The rehearsal of 200 operations (:mod:`benchmarks.rehearsal`) on tables of one definition and on 200
    different tables, both judged against the budget."""
    from rehearsal import (  # benchmarks/rehearsal.py
        FLOOR_SESSIONS,
        REHEARSAL_BUDGET,
        REHEARSAL_OPERATIONS,
        floor_seconds,
        rehearsal_timings,
    )

    from muskox.testing.processes import free_port
    from muskox_clickhouse.local import LocalClickHouse

    with tempfile.TemporaryDirectory(prefix="muskox-bench-") as directory:
        local = LocalClickHouse(Path(directory) / "server", free_port(), free_port())
        server = local.start()
        try:
            alike, alike_drop = rehearsal_timings(server.http_url)
            distinct, distinct_drop = rehearsal_timings(server.http_url, distinct=True)
            floor = floor_seconds(server.http_url)
        finally:
            local.stop()
    name = f"rehearse {REHEARSAL_OPERATIONS} AddTableColumn on {REHEARSAL_OPERATIONS} tables"
    return [Result(f"{name} (added to migrate)", alike, budget=REHEARSAL_BUDGET),
            Result("  then the scratch database dropped in the background", alike_drop, budget=None),
            Result(f"{name}, every table different", distinct, budget=REHEARSAL_BUDGET),
            Result("  then the scratch database dropped in the background", distinct_drop, budget=None),
            Result(f"  floor: the same statements, a plain loop of {FLOOR_SESSIONS} sessions", floor, budget=None)]


def main(argv: list[str]) -> int:
    """Run the benchmarks named in ``argv`` (any of :data:`BENCHMARKS`; all when none is named)."""
    unknown = set(argv) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
        return 2
    chosen = set(argv or BENCHMARKS)
    results: list[Result] = []
    if "help" in chosen:
        results.append(Result("muskox --help (whole process)", median_wall_time(muskox("--help"), repeat=15),
                              budget=0.3))
    if "introspect" in chosen:
        results.append(Result(f"introspect {INTROSPECTION_TABLES} tables x {INTROSPECTION_COLUMNS} columns (HTTP)",
                              introspection_time(), budget=1.0))
    if chosen & {"plan", "apply", "ls"}:
        results += server_benchmarks(plan="plan" in chosen, apply="apply" in chosen, inventory="ls" in chosen)
    if "dev" in chosen:
        results += dev_benchmarks()
    if "rehearse" in chosen:
        results += rehearsal_benchmarks()
    if "cluster" in chosen:  # benchmarks/cluster.py: per_node on three nodes against one node
        from cluster import cluster_results

        results += cluster_results(ratio, Result)
    for result in results:
        print(result.line())
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
