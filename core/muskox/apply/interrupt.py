"""Stopping a migration cleanly on SIGTERM or SIGINT.

Inside :func:`stop_on_signals` the first SIGTERM or SIGINT is a *stop request*:

- before any operation ran, it unwinds the command at once (:class:`Interrupted`): nothing was executed, and the
  ``with`` blocks on the way out release the lock;
- once the executor started (:func:`muskox.apply.executor.execute` calls :meth:`StopRequest.defer`), nothing new
  is scheduled, the running operations may finish for up to :func:`grace_seconds`, and the command goes on to
  record what ran (the plan's ``@done:`` record), release the lock and print the report
  (:func:`interrupted_error`), exiting 130 for SIGINT and 143 for SIGTERM.

A second signal aborts at once (``os._exit``) and says that the lock may remain held.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
ENV_GRACE = "MUSKOX_STOP_GRACE_SECONDS"
DEFAULT_GRACE = 60.0
LOCK_HINT = "check it with `muskox lock status` and free it with `muskox lock release`"


def grace_seconds() -> float:
    """How long running operations may take to finish after a stop request (``MUSKOX_STOP_GRACE_SECONDS``,
    default 60; a value that is not a finite number ≥ 0 gives the default)."""
    text = os.environ.get(ENV_GRACE, "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_GRACE
    return value if math.isfinite(value) and value >= 0 else DEFAULT_GRACE


def exit_code_of(signum: int) -> ExitCode:
    """130 for SIGINT, 143 for SIGTERM."""
    return ExitCode.TERMINATED if signum == signal.SIGTERM else ExitCode.INTERRUPTED


def signal_name(signum: int) -> str:
    """``SIGTERM``, ``SIGINT``."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by a stop request that arrived before any operation ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


class MigrationInterrupted(MuskoxError):
    """A signal stopped the migration; the message says what ran (several lines by design)."""

    exit_code = ExitCode.INTERRUPTED

    def one_line(self) -> str:
        """The report, then the fix on its own line."""
        return f"{self.problem}\nFix: {self.fix}" if self.fix else self.problem


class StopRequest:
    """Whether a stop signal arrived, which one, and whether the command may still be unwound at once."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None
        self.deferred = False
        """True once operations started: from then on a signal never unwinds the command's bookkeeping."""
        self.abandoned = False
        """True when operations were still running at the end of the grace period (left behind)."""

    @property
    def requested(self) -> bool:
        """True once a stop signal arrived."""
        return self._event.is_set()

    @property
    def exit_code(self) -> ExitCode:
        """The exit code the signal asks for (130 when none arrived)."""
        return exit_code_of(self.signum) if self.signum is not None else ExitCode.INTERRUPTED

    @property
    def name(self) -> str:
        """The signal's name."""
        return signal_name(self.signum) if self.signum is not None else "a stop request"

    def request(self, signum: int) -> None:
        """Record the stop request (the first signal wins)."""
        if self.signum is None:
            self.signum = signum
        self._event.set()

    def defer(self) -> None:
        """Operations are about to run: later signals only stop the scheduling."""
        self.deferred = True


_active: list[StopRequest] = []


def active() -> StopRequest | None:
    """The stop request of the innermost :func:`stop_on_signals` block, if any."""
    return _active[-1] if _active else None


def _write(text: str) -> None:
    """Write to stderr without Python's buffered streams (safe inside a signal handler)."""
    with contextlib.suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Turn SIGTERM and SIGINT into a :class:`StopRequest` inside the block (main thread only; elsewhere the
    block runs without handlers)."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        _active.append(stop)
        try:
            yield stop
        finally:
            _active.remove(stop)
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        name = signal_name(signum)
        if stop.requested:
            _write(f"muskox: error: second signal ({name}): aborting at once; the migration lock may remain "
                   f"held: {LOCK_HINT}\n")
            os._exit(int(exit_code_of(signum)))
        stop.request(signum)
        if not stop.deferred:
            raise Interrupted(signum)
        _write(f"muskox: {name} received: no new operation starts; the running ones may finish (up to "
               f"{grace_seconds():g} s), then what ran is recorded, the lock released and a report printed "
               f"(a second signal aborts at once)\n")

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    _active.append(stop)
    try:
        yield stop
    finally:
        _active.remove(stop)
        for sig, old in previous.items():
            signal.signal(sig, old)


def before_anything_ran(interrupted: Interrupted) -> MigrationInterrupted:
    """The error for a signal that arrived before any operation ran."""
    return MigrationInterrupted(
        f"interrupted by {signal_name(interrupted.signum)} before any operation ran: nothing was executed, and "
        "the migration lock (if it was taken) was released",
        "run the command again when you are ready", exit_code=exit_code_of(interrupted.signum))


def interrupted_error(stop: StopRequest, report_text: str, fix: str) -> MigrationInterrupted:
    """The error for a migration stopped part-way: ``report_text`` is the ✓/✗/· report."""
    return MigrationInterrupted(report_text, fix, exit_code=stop.exit_code)


INTERRUPTED_FIX = "the migration lock was released; recover as the report above says"


def stopped_between_files(stop: StopRequest, applied: Sequence[str], left: Sequence[Any]) -> MigrationInterrupted:
    """Delta mode: the error for a signal that arrived while a file ran, stopping before the next one."""
    done = f"{len(applied)} migration file(s) were applied and recorded ({', '.join(applied)})" if applied else \
        "no migration file was applied"
    names = ", ".join(str(getattr(migration, "id", migration)) for migration in left)
    return MigrationInterrupted(
        f"Migration stopped by {stop.name}: {done}; not run: {names}", "run `muskox migrate` again to apply the "
        "files not run (the lock was released)", exit_code=stop.exit_code)
