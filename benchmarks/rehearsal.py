"""The cost of the rehearsal (issue 18): 200 operations on 200 tables, tried on empty copies in a scratch database.

Measured in-process on the backend (``ClickHouseBackend.rehearse``), which is exactly what ``migrate`` adds before
it executes a plan: creating the scratch database, one empty copy per table, the operations' statements. Dropping
the scratch database runs in the background, overlapping the execution: it is measured and printed on its own.
Budget: 0.5 s for 200 operations.
"""

from __future__ import annotations

import statistics
import time

from muskox.model.infra_map import InfraMap, table_id
from muskox.model.operations import AddTableColumn, Operation
from muskox.model.table import Column, Table
from muskox.model.types import Simple

REHEARSAL_OPERATIONS = 200
REHEARSAL_BUDGET = 0.5


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


if __name__ == "__main__":
    import sys

    alike, distinct = rehearsal_timings(sys.argv[1]), rehearsal_timings(sys.argv[1], distinct=True)
    print(f"{alike[0]:.3f} s (drop after it {alike[1]:.3f} s), every table different {distinct[0]:.3f} s "
          f"(drop after it {distinct[1]:.3f} s)")
