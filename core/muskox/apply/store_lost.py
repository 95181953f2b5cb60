"""When the state store fails after operations ran: say what ran, that the state was not stored, and that
nothing is lost.

The database is the truth muskox reconciles from: a later ``migrate`` compares it with the plan and the code,
finds the operations already applied and stores the state then, without running any of them again (a plan
recorded as started whose database already matches the code is finished by recording it; see
:func:`muskox.apply.snapshot.migrate_snapshot`). This module turns the store's failure into that message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import attrs

from muskox.apply.executor import ExecutionReport
from muskox.apply.plan_record import PlanProgress
from muskox.apply.recorded_run import RecordFailed
from muskox.errors import MuskoxError
from muskox.model.operations import Operation, RawSql

NEXT_RUN = ("once the state store is reachable again, run `muskox migrate` (or restart `muskox prod`): it reads the "
            "database, finds these operations applied and stores the state, without running any of them again")


class StateNotStored(MuskoxError):
    """Operations ran, then the state store failed: the report lists them (several lines by design)."""

    def one_line(self) -> str:
        """The report, then the fix on its own line."""
        return f"{self.problem}\nFix: {self.fix}" if self.fix else self.problem


def state_not_stored(report: ExecutionReport, error: MuskoxError) -> StateNotStored:
    """The error for ``error`` raised by the store after ``report``'s operations ran (its exit code kept)."""
    total = len(report.operations)
    ran = set(report.succeeded)
    lines = [f"The state store failed after {len(ran)} of {total} operation(s) ran: {error.problem}",
             "The database changed, but the new state was NOT stored (and the run was not recorded as finished). "
             "Nothing is lost: the database holds the truth."]
    for index, operation in enumerate(report.operations):
        mark = "✓" if index in ran else "·"
        suffix = "" if index in ran else " (not run)"
        lines.append(f"  {mark} [{index + 1}/{total}] {operation.describe()}{suffix}")
    return StateNotStored("\n".join(lines), NEXT_RUN, exit_code=error.exit_code)


@contextlib.contextmanager
def reported_if_store_fails(report: ExecutionReport) -> Iterator[None]:
    """Inside the block the store records what ``report`` says ran; a store failure becomes
    :class:`StateNotStored`, listing what ran."""
    try:
        yield
    except StateNotStored:
        raise
    except MuskoxError as exc:
        if not report.succeeded:
            raise
        raise state_not_stored(report, exc) from exc


def record_or_note(record: Callable[[], None]) -> str:
    """Run ``record`` (the store recording a failed run's progress); on a store failure, the note to add to the
    failure report instead of raising (the report of what ran matters more than the store's error)."""
    try:
        record()
    except MuskoxError as exc:
        return (f"\nThe state store failed as well, so this run's progress was NOT recorded ({exc.problem}); "
                "the next run reads the database to find where it stands.")
    return ""


def raw_sql_all_recorded(operations: Sequence[Operation], recorded: PlanProgress) -> bool:
    """True when every raw SQL operation of a partly recorded plan is recorded as done: then a database that
    matches the code shows the whole plan ran (introspection sees the rest), only its recording was lost."""
    return all(index in recorded.operations for index, operation in enumerate(operations)
               if isinstance(operation, RawSql))


def store_lost_in(report: ExecutionReport) -> tuple[ExecutionReport, MuskoxError] | None:
    """When the only failures are operations that ran whole and could not be recorded (the store failed), the
    report with them counted as run, and the store's error; else None."""
    lost = [failure for failure in report.failed if isinstance(failure.error, RecordFailed)]
    if not report.failed or len(lost) != len(report.failed):
        return None
    if not all(isinstance(f.error, RecordFailed) and f.error.complete for f in lost):
        return None
    error = lost[0].error
    assert isinstance(error, RecordFailed)
    ran = tuple(sorted({*report.succeeded, *(failure.index for failure in lost)}))
    return attrs.evolve(report, succeeded=ran, failed=()), error.error
