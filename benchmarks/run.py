"""The performance budgets of muskox, measured as wall time of whole processes.

Run with ``nox -s bench`` (or ``.venv/bin/python benchmarks/run.py``). Each benchmark prints its median, its
budget and OK/OVER; the exit code is 1 when a budget is exceeded. Never used as a test assertion.
"""

from __future__ import annotations

import concurrent.futures
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float
    budget: float

    def line(self) -> str:
        verdict = "OK" if self.seconds <= self.budget else "OVER"
        return f"{self.name:<48} {self.seconds:8.3f} s   budget {self.budget:6.2f} s   {verdict}"


def median_wall_time(run: Callable[[], None], repeat: int) -> float:
    """The median wall time of ``run`` over ``repeat`` calls (after one warm-up call)."""
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def muskox(*args: str) -> Callable[[], None]:
    def run() -> None:
        subprocess.run([sys.executable, "-m", "muskox", *args], check=True, capture_output=True)

    return run


INTROSPECTION_TABLES = 2000
INTROSPECTION_COLUMNS = 10


def introspection_time(tables: int = INTROSPECTION_TABLES, columns: int = INTROSPECTION_COLUMNS,
                       repeat: int = 5) -> float:
    """Median time of ``introspect`` (over HTTP) on a local server holding ``tables`` tables of ``columns``
    columns each (keys, a TTL, codecs, comments, settings, all varying by table; an index on every tenth)."""
    from muskox.local import LocalClickHouse
    from muskox.testing.processes import free_port
    from muskox_clickhouse import connect, parse_url
    from muskox_clickhouse.introspect import introspect

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


def main() -> int:
    results = [
        Result("muskox --help (whole process)", median_wall_time(muskox("--help"), repeat=15), budget=0.3),
        Result(f"introspect {INTROSPECTION_TABLES} tables x {INTROSPECTION_COLUMNS} columns (HTTP)",
               introspection_time(), budget=1.0),
    ]
    for result in results:
        print(result.line())
    return 0 if all(r.seconds <= r.budget for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
