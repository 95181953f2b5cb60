"""The executor's scheduling: order per object, parallelism across objects, barriers, failure reports."""

from __future__ import annotations

import threading
import time

import pytest

from muskox.apply.executor import dependencies, execute, failure_report
from muskox.model import Column, Table
from muskox.model.operations import AddTableColumn, CreateMaterializedView, CreateTable, DropTable, Operation, RawSql
from muskox.model.types import Simple


def col(name: str) -> Column:
    return Column(name=name, data_type=Simple("UInt8"))


def create(name: str) -> CreateTable:
    return CreateTable(table=Table(name=name, columns=(col("id"),)))


def add(table: str, column: str) -> AddTableColumn:
    return AddTableColumn(table=table, column=col(column))


class Recorder:
    def __init__(self, delay: float = 0.02, fail: set[str] | None = None) -> None:
        self.delay, self.fail = delay, fail or set()
        self.events: list[tuple[str, str]] = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def __call__(self, operation: Operation) -> None:
        name = operation.describe()
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.events.append(("start", name))
        time.sleep(self.delay)
        with self.lock:
            self.active -= 1
            self.events.append(("end", name))
        if name in self.fail:
            raise RuntimeError(f"boom in {name}")

    def end_before_start(self, first: str, second: str) -> bool:
        return self.events.index(("end", first)) < self.events.index(("start", second))


def test_operations_on_one_table_run_in_order_and_different_tables_in_parallel() -> None:
    ops = [create("a"), create("b"), add("a", "x"), add("b", "y"), add("a", "z")]
    recorder = Recorder()
    report = execute(ops, recorder, parallelism=4)
    assert report.ok and report.succeeded == (0, 1, 2, 3, 4)
    assert recorder.max_active >= 2
    assert recorder.end_before_start("Creating table 'a'", "Adding column 'x' to table 'a'")
    assert recorder.end_before_start("Adding column 'x' to table 'a'", "Adding column 'z' to table 'a'")


def test_barriers_wait_for_everything_before_and_block_everything_after() -> None:
    ops: list[Operation] = [create("a"), create("b"),
                            CreateMaterializedView(name="mv", select_sql="SELECT 1", target_table="a"),
                            add("b", "y")]
    assert dependencies(ops) == [set(), set(), {0, 1}, {1, 2}]
    recorder = Recorder()
    execute(ops, recorder, parallelism=4)
    assert recorder.end_before_start("Creating table 'b'", "Creating materialized view 'mv' -> table 'a'")
    assert recorder.end_before_start("Creating materialized view 'mv' -> table 'a'",
                                     "Adding column 'y' to table 'b'")


def test_parallelism_one_is_sequential() -> None:
    recorder = Recorder(delay=0.005)
    execute([create(n) for n in "abcd"], recorder, parallelism=1)
    assert recorder.max_active == 1


def test_failure_stops_scheduling_and_reports_every_operation() -> None:
    ops: list[Operation] = [create("a"), add("a", "x"), RawSql(sql=("SELECT 1",), description="backfill"),
                            DropTable(table="a")]
    recorder = Recorder(fail={"Adding column 'x' to table 'a'"})
    report = execute(ops, recorder, parallelism=2)
    assert (report.succeeded, [f.index for f in report.failed], report.not_run) == ((0,), [1], (2, 3))
    text = failure_report(report, ["fix the cause", "regenerate the plan"])
    assert "1 of 4 operation(s) succeeded, 1 failed, 2 not run" in text
    assert "✗ [2/4] Adding column 'x' to table 'a': boom in Adding column 'x' to table 'a'" in text
    assert "· [3/4] backfill (not run)" in text and "  2. regenerate the plan" in text


def test_progress_lines_count_operations() -> None:
    lines: list[str] = []
    execute([create("a"), create("b")], Recorder(delay=0), parallelism=1, progress=lines.append)
    assert lines == ["[1/2] Creating table 'a'", "[2/2] Creating table 'b'"]


@pytest.mark.parametrize("parallelism", [0, -3])
def test_nonpositive_parallelism_still_runs(parallelism: int) -> None:
    assert execute([create("a")], Recorder(delay=0), parallelism=parallelism).ok


def test_default_database_and_the_same_database_spelled_out_are_one_object() -> None:
    ops: list[Operation] = [DropTable(table="events", database="db"), create("events")]
    assert dependencies(ops) == [set(), {0}]


def test_advanced_counts_every_finished_operation_failed_ones_too() -> None:
    counts: list[tuple[int, int]] = []
    recorder = Recorder(delay=0, fail={"Creating table 'b'"})
    report = execute([create("a"), create("b"), create("c")], recorder, parallelism=1,
                     advanced=lambda finished, total: counts.append((finished, total)))
    assert counts == [(1, 3), (2, 3)]  # c never ran: nothing is scheduled after a failure
    assert report.not_run == (2,)
