"""The cost of the rehearsal (issue 18): 200 operations on 200 tables, tried on empty copies in a scratch database.

Measured in-process on the backend (``ClickHouseBackend.rehearse``), which is exactly what ``migrate`` adds before
it executes a plan: creating the scratch database, one empty copy per table, the operations' statements. Dropping
the scratch database runs in the background, overlapping the execution: it is measured and printed on its own.
Budget: 0.5 s for 200 operations.

Beside it, unjudged, the floor of the case of different tables: the same statements (each table's empty copy, then
its ``ALTER``) sent by a plain loop of :data:`FLOOR_SESSIONS` clickhouse-connect sessions into a scratch database,
with nothing of muskox's own around them (:func:`floor_seconds`).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from muskox.model.infra_map import InfraMap, table_id
from muskox.model.operations import AddTableColumn, Operation
from muskox.model.table import Column, Table
from muskox.model.types import Simple

REHEARSAL_OPERATIONS = 200
REHEARSAL_BUDGET = 0.5
FLOOR_SESSIONS = 4
"""As many sessions as the rehearsal uses for different tables (the fastest count here: 2 gave 1.09 s, 8 0.99 s)."""


def workload(database: str, tables: int = REHEARSAL_OPERATIONS, *,
             distinct: bool = False) -> tuple[InfraMap, list[Operation]]:
    """``tables`` tables of a few columns, and one ``AddTableColumn`` on each (as the ``apply`` benchmark's
    second migration). With ``distinct`` every table has a column of its own, so no two are rehearsed as one."""
    def columns(number: int) -> tuple[Column, ...]:
        own = (Column(name=f"c{number}", data_type=Simple("String")),) if distinct else ()
        return (Column(name="id", data_type=Simple("String")), Column(name="ts", data_type=Simple("DateTime")),
                *own, Column(name="v", data_type=Simple("Int64")))

    made = [Table(name=f"t{i}", columns=columns(i), order_by=("id",), database=database) for i in range(tables)]
    current = InfraMap(default_database=database, tables={table_id(t, database): t for t in made})
    operations: list[Operation] = [
        AddTableColumn(table=t.name, database=database, column=Column(name="extra", data_type=Simple("String")),
                       after_column="v") for t in made]
    return current, operations


def rehearsal_seconds(http_url: str, repeat: int = 5, *, distinct: bool = False) -> float:
    """The median wall time of rehearsing :func:`workload` on the server at ``http_url`` (see
    :func:`rehearsal_timings`)."""
    return rehearsal_timings(http_url, repeat, distinct=distinct)[0]


def rehearsal_timings(http_url: str, repeat: int = 5, *, distinct: bool = False) -> tuple[float, float]:
    """Medians of ``(the rehearsal's answer, the drop of its scratch databases after it)``.

    The answer is what ``migrate`` waits for before it executes anything; the drop runs in a background thread
    (overlapping the execution), and is waited for here between samples so that no sample pays for the one
    before it."""
    from muskox_clickhouse.backend import ClickHouseBackend
    from muskox_clickhouse.rehearse import wait_for_cleanup
    from muskox_clickhouse.url import parse_url

    current, operations = workload("rehearsal_bench", distinct=distinct)
    backend = ClickHouseBackend(parse_url(f"{http_url}/rehearsal_bench"))
    answers, drops = [], []
    try:
        for _ in range(repeat + 1):  # the first round warms up the connection
            started = time.perf_counter()
            problems = backend.rehearse(operations, current)
            answered = time.perf_counter()
            wait_for_cleanup()
            answers.append(answered - started)
            drops.append(time.perf_counter() - answered)
            assert not problems, problems
    finally:
        backend.close()
    return statistics.median(answers[1:]), statistics.median(drops[1:])


def floor_seconds(http_url: str, repeat: int = 5, sessions: int = FLOOR_SESSIONS) -> float:
    """The median wall time of sending the statements of a rehearsal of :func:`workload` (``distinct``): each
    table created empty in a scratch ``Memory`` database, then its operation, by ``sessions`` threads each with
    a clickhouse-connect session of its own, taking tables from one queue."""
    import queue
    import threading

    import clickhouse_connect

    from muskox_clickhouse.alter import render_operation
    from muskox_clickhouse.ddl import render_create_table
    from muskox_clickhouse.url import parse_url

    url = parse_url(http_url)
    scratch = "rehearsal_floor"
    current, operations = workload(scratch, distinct=True)
    work = [[render_create_table(table, default_database=scratch), *render_operation(operation, scratch)]
            for table, operation in zip(current.tables.values(), operations, strict=True)]

    def client(database: str | None = None) -> Any:
        return clickhouse_connect.get_client(host=url.host, port=url.port, username=url.user, password=url.password,
                                             database=database or "")

    admin = client()
    times = []
    try:
        for _ in range(repeat + 1):  # the first round warms up the server
            admin.command(f"DROP DATABASE IF EXISTS {scratch} SYNC")
            admin.command(f"CREATE DATABASE {scratch} ENGINE = Memory")
            pending: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
            for statements in work:
                pending.put(statements)
            clients = [client(scratch) for _ in range(sessions)]

            def send(session: Any, pending: queue.SimpleQueue[list[str]] = pending) -> None:
                while True:
                    try:
                        statements = pending.get_nowait()
                    except queue.Empty:
                        return
                    for sql in statements:
                        session.command(sql)

            threads = [threading.Thread(target=send, args=(session,)) for session in clients]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            times.append(time.perf_counter() - started)
            for session in clients:
                session.close()
    finally:
        admin.command(f"DROP DATABASE IF EXISTS {scratch} SYNC")
        admin.close()
    return statistics.median(times[1:])


if __name__ == "__main__":
    import sys

    alike, distinct = rehearsal_timings(sys.argv[1]), rehearsal_timings(sys.argv[1], distinct=True)
    print(f"{alike[0]:.3f} s (drop after it {alike[1]:.3f} s), every table different {distinct[0]:.3f} s "
          f"(drop after it {distinct[1]:.3f} s)")
