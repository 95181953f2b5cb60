"""SIGTERM and SIGINT while ``muskox dev`` applies a change: as ``migrate`` stops (:mod:`muskox.apply.interrupt`).

While a cycle holds the lock and its operations run, the first signal stops the scheduling; the running
operations may finish (up to ``MUSKOX_STOP_GRACE_SECONDS``, default 60). The state is then stored from the
database as it is (what ran included), the lock is released, the ✓/✗/· report printed, and ``dev`` ends with
130 (SIGINT) or 143 (SIGTERM), stopping the local server it started. A second signal aborts at once. A signal
at any other moment (watching, importing the code, planning) stops ``dev`` at once with exit 0: nothing is
being applied.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

import click

from muskox.apply.executor import ExecutionReport, failure_report
from muskox.apply.interrupt import MigrationInterrupted, StopRequest


class DevStopped(MigrationInterrupted):
    """A signal ended ``dev`` while a cycle applied a change; ``abandoned`` when operations were still running at
    the end of the grace period (the process must then leave without waiting for them)."""

    def __init__(self, problem: str, fix: str | None, *, stop: StopRequest, abandoned: bool) -> None:
        super().__init__(problem, fix, exit_code=stop.exit_code)
        self.abandoned = abandoned


def leave_now(error: DevStopped) -> NoReturn:
    """Print the report and end the process at once (operations still run in worker threads, which an ordinary
    exit would wait for)."""
    click.echo(f"muskox: error: {error.one_line()}", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(error.exit_code))


DEV_STOP_RECOVERY = (
    "run `muskox dev` again: its first cycle plans from the database as it is now and applies what is left "
    "(nothing is rolled back)",
)


def stopped_while_applying(stop: StopRequest, report: ExecutionReport,
                           store_state: Callable[[], None]) -> DevStopped:
    """The error that ends ``dev`` after a signal arrived while ``report``'s operations ran; ``store_state`` stores
    the state read from the database (the caller still holds the lock). A failure to store it is part of the
    report: the next cycle reconciles from the database anyway."""
    try:
        store_state()
        stored = "the state was stored from the database"
    except Exception as exc:  # the report must still be printed and the lock released
        stored = f"the state was NOT stored ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if report.ok:
        return DevStopped(f"{stop.name} arrived while the last operations ran: all {len(report.succeeded)} "
                          f"operation(s) were applied, {stored} and the lock released; dev stopped", None,
                          stop=stop, abandoned=False)
    return DevStopped(failure_report(report, DEV_STOP_RECOVERY), f"{stored}; the lock was released", stop=stop,
                      abandoned=bool(report.unfinished))
