"""Running the team's application under ``muskox prod -- CMD ARGS…``, and waiting for a stop signal.

The application is started only after the migration succeeded, as a child in muskox's process group (so it
keeps the terminal, and a signal to the whole group reaches both). SIGTERM and SIGINT sent to muskox are
forwarded to it; muskox then exits with the application's exit code (``128 + N`` when signal N killed it,
127 when the command does not exist, 126 when it cannot be executed — the shell's conventions).

A Ctrl-C at a terminal is delivered by the kernel to the whole foreground process group, child included; it
is therefore not forwarded a second time when muskox's group owns the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

log = logging.getLogger("muskox.server.boot")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
NOT_FOUND = 127
NOT_EXECUTABLE = 126


@contextlib.contextmanager
def handling(signals: Sequence[signal.Signals], handler: Callable[[int], None]) -> Iterator[None]:
    """Call ``handler(signum)`` for ``signals`` inside the block; the previous handlers come back after it."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        handler(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def exit_status(returncode: int) -> int:
    """A child's exit code as a shell reports it (``128 + N`` for death by signal N)."""
    return 128 - returncode if returncode < 0 else returncode


def _terminal_already_delivered(signum: int) -> bool:
    """True for a SIGINT that a terminal sent to our whole (foreground) process group, child included."""
    if signum != signal.SIGINT:
        return False
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def run_child(argv: Sequence[str], *, on_stop: Callable[[int], None] = lambda signum: None) -> int:
    """Run ``argv`` to completion, forwarding SIGTERM/SIGINT (``on_stop`` is told first); its exit status."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        child = subprocess.Popen(list(argv))
    except FileNotFoundError:
        log.error("cannot run %s: command not found", argv[0])
        return NOT_FOUND
    except PermissionError:
        log.error("cannot run %s: permission denied", argv[0])
        return NOT_EXECUTABLE
    except OSError as exc:
        log.error("cannot run %s: %s", argv[0], exc.strerror or exc)
        return NOT_EXECUTABLE

    def forward(signum: int) -> None:
        on_stop(signum)
        if child.poll() is None and not _terminal_already_delivered(signum):
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    with handling(STOP_SIGNALS, forward):
        returncode = child.wait()
    return exit_status(returncode)


def wait_for_stop(*, on_stop: Callable[[int], None] = lambda signum: None) -> int:
    """Block until SIGTERM or SIGINT arrives; returns the signal's number."""
    stopped = threading.Event()
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        on_stop(signum)
        stopped.set()

    with handling(STOP_SIGNALS, stop):
        while not stopped.wait(0.5):
            pass
    return received[0]
