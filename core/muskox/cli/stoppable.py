"""Running a migrating command (``migrate``, ``prod``'s boot) so that SIGTERM and SIGINT stop it cleanly.

See :mod:`muskox.apply.interrupt`: a signal before any operation ran unwinds the command (nothing executed, the
lock released); during the run, the executor stops scheduling, what ran is recorded, the lock released and the
report printed. The exit code is 130 for SIGINT and 143 for SIGTERM.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

from muskox.apply.interrupt import Interrupted, MigrationInterrupted, StopRequest, before_anything_ran, stop_on_signals
from muskox.cli import output

T = TypeVar("T")


def run_stoppable(work: Callable[[], T]) -> tuple[T, StopRequest]:
    """``work()`` with the stop signals handled; its result and the stop request (``requested`` when a signal
    arrived while the last operations ran and the work still completed).

    :raises MigrationInterrupted: a signal stopped it (exit code 130 or 143).
    """
    try:
        with stop_on_signals() as stop:
            try:
                return work(), stop
            except MigrationInterrupted as exc:
                if stop.abandoned:
                    abandon(exc)
                raise
    except Interrupted as exc:
        raise before_anything_ran(exc) from None


def abandon(error: MigrationInterrupted) -> None:
    """Operations still run in worker threads after the grace period: print the report and leave at once
    (waiting for the threads would wait for the statements)."""
    output.error(error.one_line())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(error.exit_code))


def completed_despite(stop: StopRequest) -> str:
    """The line for a signal that arrived while the last operations ran: the work completed anyway."""
    return (f"{stop.name} arrived while the last operations ran: the migration completed, its state was stored "
            f"and the lock released")
