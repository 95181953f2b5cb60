"""The executor: runs a plan's operations, independent ones in parallel, and reports exactly what ran.

Operations on one object run in plan order; operations on different tables run side by side (up to
``parallelism`` at once). Views, materialized views and raw SQL are barriers: they wait for everything before
them and everything after waits for them. On the first failure nothing new is scheduled; what is running
finishes; the report lists what succeeded, what failed (with the server's error) and what never ran.

A stop request (SIGTERM/SIGINT, :mod:`muskox.apply.interrupt`) also stops the scheduling; what is running may
finish for up to the grace period, after which it is left behind and reported as unfinished.
"""

from __future__ import annotations

import concurrent.futures as futures
import logging
import threading
import time
from collections.abc import Callable, Sequence

import attrs

from muskox.apply.interrupt import StopRequest, active, grace_seconds
from muskox.model.operations import (
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropMaterializedView,
    DropView,
    Operation,
    RawSql,
    TableOperation,
)

log = logging.getLogger("muskox.apply.executor")

ApplyOne = Callable[[Operation], None]
"""Applies one operation (thread-safe; raises on failure). Backends provide it."""

Progress = Callable[[str], None]
"""Receives a line as each operation starts (``[i/N] description``); called from the executor's threads."""

Advanced = Callable[[int, int], None]
"""Receives ``(finished, total)`` each time an operation ends, well or not (e.g. to move a progress bar)."""

_BARRIERS = (CreateView, CreateMaterializedView, DropView, DropMaterializedView, RawSql)


@attrs.frozen
class Failure:
    """The operation at ``index`` (0-based) failed with ``error``."""

    index: int
    error: BaseException


@attrs.frozen
class ExecutionReport:
    """What happened to each operation."""

    operations: tuple[Operation, ...]
    succeeded: tuple[int, ...]
    failed: tuple[Failure, ...]
    not_run: tuple[int, ...]
    seconds: float
    unfinished: tuple[int, ...] = ()
    """Operations still running when the grace period after a stop request ended (their outcome is unknown)."""
    stopped_by: str | None = None
    """The signal that stopped the scheduling (``SIGTERM``), when one did."""

    @property
    def ok(self) -> bool:
        """True when every operation succeeded."""
        return not self.failed and not self.not_run and not self.unfinished

    @property
    def interrupted(self) -> bool:
        """True when a stop request left operations unrun or unfinished."""
        return self.stopped_by is not None and not self.ok


def _is_barrier(operation: Operation) -> bool:
    """Views, raw SQL and operation types the core does not know (plugins') wait for everything."""
    return isinstance(operation, _BARRIERS) or not isinstance(operation, TableOperation | CreateTable)


def dependencies(operations: Sequence[Operation]) -> list[set[int]]:
    """For each operation, the earlier ones it must wait for."""
    result: list[set[int]] = []
    last_by_subject: dict[str, int] = {}
    last_barrier: int | None = None
    since_barrier: list[int] = []
    for index, operation in enumerate(operations):
        if _is_barrier(operation):
            deps = set(since_barrier) | ({last_barrier} if last_barrier is not None else set())
            last_barrier, since_barrier = index, []
        else:
            # keyed by name alone: `database` None (the default) and the same database spelled out must meet
            subject = operation.subject()[1]
            deps = {last_by_subject[subject]} if subject in last_by_subject else set()
            if last_barrier is not None:
                deps.add(last_barrier)
            last_by_subject[subject] = index
            since_barrier.append(index)
        result.append(deps)
    return result


def execute(operations: Sequence[Operation], apply_one: ApplyOne, *, parallelism: int = 4,
            progress: Progress | None = None, advanced: Advanced | None = None,
            stop: StopRequest | None = None) -> ExecutionReport:
    """Run ``operations``; never raises for an operation's failure (see the report). ``stop`` (by default the
    active :func:`muskox.apply.interrupt.stop_on_signals` request) stops the scheduling when requested."""
    stop = stop if stop is not None else active()
    if stop is not None:
        stop.defer()
    started_at = time.perf_counter()
    total = len(operations)
    deps = dependencies(operations)
    done: set[int] = set()
    succeeded: list[int] = []
    failed: list[Failure] = []
    running: dict[futures.Future[None], int] = {}
    scheduled: set[int] = set()
    lock = threading.Lock()
    say = progress or (lambda line: None)

    def run(index: int) -> None:
        operation = operations[index]
        say(f"[{index + 1}/{total}] {operation.describe()}")
        apply_one(operation)

    pool = futures.ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="muskox-apply")
    deadline: float | None = None
    try:
        while True:
            stopping = stop is not None and stop.requested
            if not failed and not stopping:
                for index in range(total):
                    if index not in scheduled and deps[index] <= done and len(running) < max(1, parallelism):
                        scheduled.add(index)
                        running[pool.submit(run, index)] = index
            if not running:
                break
            if stopping and deadline is None:
                deadline = time.monotonic() + grace_seconds()
            if deadline is not None and time.monotonic() >= deadline:
                break  # the grace period is over: what still runs is left behind
            wait = None if stop is None else 0.1 if deadline is None else max(0.0, deadline - time.monotonic())
            finished, _ = futures.wait(running, timeout=wait, return_when=futures.FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                error = future.exception()
                with lock:
                    if error is None:
                        done.add(index)
                        succeeded.append(index)
                    else:
                        failed.append(Failure(index, error))
                        log.error("[%d/%d] %s failed: %s", index + 1, total, operations[index].describe(), error)
                if advanced is not None:
                    advanced(len(succeeded) + len(failed), total)
    finally:
        if running and stop is not None:
            stop.abandoned = True
        pool.shutdown(wait=not running, cancel_futures=True)
    not_run = tuple(i for i in range(total) if i not in scheduled)
    return ExecutionReport(operations=tuple(operations), succeeded=tuple(sorted(succeeded)),
                           failed=tuple(sorted(failed, key=lambda f: f.index)), not_run=not_run,
                           seconds=time.perf_counter() - started_at, unfinished=tuple(sorted(running.values())),
                           stopped_by=stop.name if stop is not None and stop.requested else None)


def failure_report(report: ExecutionReport, recovery: Sequence[str]) -> str:
    """The partial-failure report: every operation's fate, then the recovery steps."""
    total = len(report.operations)
    how = f"Migration stopped by {report.stopped_by}" if report.interrupted else "Migration failed"
    still = f", {len(report.unfinished)} still running when muskox stopped" if report.unfinished else ""
    lines = [f"{how}: {len(report.succeeded)} of {total} operation(s) succeeded, "
             f"{len(report.failed)} failed, {len(report.not_run)} not run{still}. The database is now in a PARTIAL "
             f"state (nothing is rolled back)."]
    failed = {f.index: f.error for f in report.failed}
    for index, operation in enumerate(report.operations):
        if index in failed:
            lines.append(f"  ✗ [{index + 1}/{total}] {operation.describe()}: {failed[index]}")
        elif index in report.succeeded:
            lines.append(f"  ✓ [{index + 1}/{total}] {operation.describe()}")
        elif index in report.unfinished:
            lines.append(f"  ? [{index + 1}/{total}] {operation.describe()} (still running when muskox stopped: "
                         "its outcome is unknown)")
        else:
            lines.append(f"  · [{index + 1}/{total}] {operation.describe()} (not run)")
    lines.append("Next steps:")
    lines += [f"  {number}. {step}" for number, step in enumerate(recovery, 1)]
    return "\n".join(lines)
