"""Running a reviewed plan so that every operation is recorded once it has run (see
:mod:`muskox.apply.plan_record`), and telling what is left of a plan that stopped part-way.

Raw SQL is the part introspection cannot verify, so it is applied one statement at a time and each statement is
recorded as soon as the server has it: a failure on the second of three statements says the first was committed,
and ``--resume`` never runs it twice.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import attrs

from muskox.apply import plan_record
from muskox.apply.executor import ApplyOne
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.operations import Operation, RawSql
from muskox.plugin.interfaces import StateStore


class RawSqlStatementFailed(Exception):
    """Statement ``statement`` (0-based) of a multi-statement raw SQL operation failed; the ones before it were
    committed (in this run or an earlier one)."""

    def __init__(self, operation: RawSql, statement: int, error: BaseException) -> None:
        total = len(operation.sql)
        done = f"statement(s) 1-{statement} committed" if statement else "no statement committed"
        super().__init__(f"statement {statement + 1} of {total} failed ({done}, {total - statement - 1} not run): "
                         f"{error}")
        self.statement = statement
        self.error = error


class RecordFailed(Exception):
    """The operation ran (``complete``: all of it, else only its statements up to this one), then the state store
    failed to record it (``error``)."""

    def __init__(self, error: MuskoxError, *, complete: bool) -> None:
        super().__init__(f"ran, but the state store could not record it: {error.problem}")
        self.error = error
        self.complete = complete


@attrs.frozen
class PlannedRun:
    """The operations to run now and where each sits in the plan."""

    operations: tuple[Operation, ...]
    positions: tuple[int, ...]
    """``positions[i]``: the 0-based index in the plan of ``operations[i]``."""
    first_statements: tuple[int, ...]
    """For each operation, the first statement to run (non-zero for a raw SQL operation resumed part-way)."""


def whole_plan(operations: Sequence[Operation]) -> PlannedRun:
    """Every operation of the plan, from its first statement."""
    return PlannedRun(tuple(operations), tuple(range(len(operations))), (0,) * len(operations))


def what_is_left(operations: Sequence[Operation], progress: plan_record.PlanProgress) -> PlannedRun:
    """The operations a partly applied plan has not finished, in plan order; a raw SQL operation stopped
    part-way keeps only the statements that did not run."""
    left: list[Operation] = []
    positions: list[int] = []
    firsts: list[int] = []
    for index, operation in enumerate(operations):
        if index in progress.operations:
            continue
        first = _first_unrun(progress.statements.get(index, frozenset()))
        left.append(operation)
        positions.append(index)
        firsts.append(first)
    return PlannedRun(tuple(left), tuple(positions), tuple(firsts))


def _first_unrun(done: frozenset[int]) -> int:
    """Statements run in order, so the first one not recorded is where to start again."""
    first = 0
    while first in done:
        first += 1
    return first


class RecordingApplier:
    """Applies the operations of a :class:`PlannedRun` through ``apply_one`` and records what ran in ``store``
    (thread-safe: the executor calls it from several threads)."""

    def __init__(self, run: PlannedRun, apply_one: ApplyOne, store: StateStore, identity: str) -> None:
        self._positions = {id(operation): (position, first) for operation, position, first
                           in zip(run.operations, run.positions, run.first_statements, strict=True)}
        self._apply_one = apply_one
        self._store = store
        self._identity = identity
        self._lock = threading.Lock()

    def __call__(self, operation: Operation) -> None:
        """Apply ``operation``; raw SQL statement by statement, each recorded once it ran."""
        position, first = self._positions[id(operation)]
        if not isinstance(operation, RawSql):
            self._apply_one(operation)
            return
        for statement in range(first, len(operation.sql)):
            try:
                self._apply_one(attrs.evolve(operation, sql=(operation.sql[statement],)))
            except Exception as exc:
                if len(operation.sql) == 1:
                    raise
                raise RawSqlStatementFailed(operation, statement, exc) from exc
            if len(operation.sql) > 1:
                self._record(plan_record.statement_record(self._identity, position, statement), complete=False)
        self._record(plan_record.operation_record(self._identity, position), complete=True)

    def _record(self, record: str, *, complete: bool) -> None:
        with self._lock:
            try:
                self._store.record_applied(record)
            except MuskoxError as exc:  # the statement ran: say so, with the store's failure
                raise RecordFailed(exc, complete=complete) from exc


class PlanPartlyApplied(MuskoxError):
    """A reviewed plan started earlier did not finish: nothing runs until it is resumed or replaced."""

    exit_code = ExitCode.DRIFT

    def one_line(self) -> str:
        """The listing of every operation's fate, then the choices (several lines by design)."""
        return self.problem if not self.fix else f"{self.problem}\nFix: {self.fix}"


def progress_listing(operations: Sequence[Operation], progress: plan_record.PlanProgress) -> list[str]:
    """One line per operation: ✓ recorded as done, ◐ raw SQL stopped part-way, · not recorded (not run, or run
    by a process killed before it could record it: ``--resume`` checks the database before trusting this)."""
    total = len(operations)
    lines: list[str] = []
    for index, operation in enumerate(operations):
        number = f"[{index + 1}/{total}] {operation.describe()}"
        statements = progress.statements.get(index)
        if index in progress.operations:
            lines.append(f"  ✓ {number}")
        elif statements and isinstance(operation, RawSql):
            ran = _first_unrun(statements)
            lines.append(f"  ◐ {number} (statements 1-{ran} of {len(operation.sql)} ran)")
        else:
            lines.append(f"  · {number} (not recorded as done)")
    return lines


def partly_applied(operations: Sequence[Operation], progress: plan_record.PlanProgress, identity: str,
                   plan_file: str, regenerate: str) -> PlanPartlyApplied:
    """The error for a plan that was started and did not finish."""
    done = len(progress.operations)
    lines = [f"{plan_file} (plan {identity}) was partly applied by an earlier run: {done} of {len(operations)} "
             f"operation(s) are recorded as done; nothing was executed now"]
    lines += progress_listing(operations, progress)
    fix = ("`muskox migrate --resume` runs exactly the operations not recorded as done (after checking the "
           f"database is where the recorded ones leave it), or regenerate the plan ({regenerate}) to replace it")
    return PlanPartlyApplied("\n".join(lines), fix)
