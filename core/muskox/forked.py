"""Read-only work in a forked child process, on another CPU than the caller's.

CPython runs the Python code of one thread at a time, so a background *thread* that parses 2,000 statements takes
its CPU away from the thread importing the project's code. A forked child has a CPU of its own. :func:`start` forks
a child that runs a function and sends back its result, pickled, through a pipe. :meth:`ForkedCall.result` then
returns that result or raises the known failure (:class:`muskox.errors.MuskoxError`) the function raised. When the
child could give neither (it crashed, was killed, its result does not survive pickling, or it raised anything else,
a bug whose traceback matters), ``result`` runs the function in the calling process, which then behaves exactly as
if there had been no child.

Only read-only work belongs here: whatever the function changes in the child's memory is lost. The log records it
emits on the ``muskox`` loggers are kept: the child collects them and the parent emits them when it takes the
result, so the command log (``muskox logs``) is the same as without a child.

A child is forked only where that is safe: on Linux, and from a process that runs no other Python thread (forking a
threaded process can copy a lock another thread holds). Elsewhere :func:`start` returns None and the caller does
the work itself. A child whose result is never taken is killed when the parent exits.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from muskox.errors import MuskoxError

__all__ = ["ForkedCall", "start"]

T = TypeVar("T")

_LOGGER = "muskox"
_VALUE, _ERROR = "value", "error"
_RUNNING: set[ForkedCall[Any]] = set()
"""Calls whose result was not taken yet (their children are killed at exit)."""

LogEntry = tuple[str, int, str, dict[str, Any]]
"""A log record the child emitted: logger name, level, message, its extra attributes."""


class _Collector(logging.Handler):
    """In the child: keeps every record of the ``muskox`` loggers (with the attributes given in ``extra``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.entries: list[LogEntry] = []

    def emit(self, record: logging.LogRecord) -> None:
        extra = {key: value for key, value in record.__dict__.items() if key not in _STANDARD_ATTRIBUTES}
        self.entries.append((record.name, record.levelno, record.getMessage(), extra))


_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class ForkedCall(Generic[T]):
    """A function running in a forked child; :meth:`result` waits for it."""

    def __init__(self, function: Callable[[], T], pid: int, reader: int) -> None:
        self._function = function
        self._pid = pid
        self._reader = reader
        _RUNNING.add(self)

    def result(self) -> T:
        """The function's return value, or the exception it raised; the function is run here instead when the
        child gave neither. Call it once."""
        data = self._take()
        outcome: tuple[str, Any, list[LogEntry]] | None = None
        with contextlib.suppress(Exception):  # a torn or foreign payload: the work is done here instead
            outcome = pickle.loads(data) if data else None
        if outcome is None:
            return self._function()
        kind, payload, entries = outcome
        for name, level, message, extra in entries:
            logging.getLogger(name).log(level, "%s", message, extra=extra)
        if kind == _ERROR:
            raise payload
        value: T = payload
        return value

    def cancel(self) -> None:
        """Stop the child (if it still runs) and forget its result."""
        if self._reader >= 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._close()

    def _take(self) -> bytes:
        if self._reader < 0:
            raise RuntimeError("the result of a forked call was already taken")
        chunks = []
        try:
            while chunk := os.read(self._reader, 1 << 20):
                chunks.append(chunk)
        except BaseException:  # interrupted (Ctrl-C reached this process only): the child is not waited for
            self.cancel()
            raise
        self._close()
        return b"".join(chunks)

    def _close(self) -> None:
        os.close(self._reader)
        self._reader = -1
        _RUNNING.discard(self)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._pid, 0)


def can_fork() -> bool:
    """True where :func:`start` forks: on Linux, with no other Python thread running."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def start(function: Callable[[], T]) -> ForkedCall[T] | None:
    """Run ``function`` in a forked child; None (and nothing started) where that is not safe (:func:`can_fork`)."""
    if not can_fork():
        return None
    reader, writer = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        _run_child(function, writer)
    os.close(writer)
    return ForkedCall(function, pid, reader)


def _run_child(function: Callable[[], Any], writer: int) -> None:
    status = 1
    gc.disable()  # a short life ended by os._exit: nothing needs collecting
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent's handlers are about its own work
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        collector = _Collector()
        logger = logging.getLogger(_LOGGER)
        logger.handlers[:] = [collector]
        logger.propagate = False
        try:
            outcome: tuple[str, Any, list[LogEntry]] = (_VALUE, function(), collector.entries)
        except MuskoxError as exc:  # a known failure: its one line is all the parent needs
            outcome = (_ERROR, _portable(exc), collector.entries)
        # anything else escapes to the handler below: the parent redoes the work and shows the real traceback
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(writer, view):]
        status = 0
    except BaseException:  # nothing must escape the child: the parent then does the work itself
        pass
    finally:
        os._exit(status)  # no atexit handlers, no buffers of the parent flushed twice


def _portable(exc: MuskoxError) -> MuskoxError:
    """``exc`` if it comes back from pickling as the same type with the same message; else an error that makes
    the parent redo the work (so that it raises the real one itself)."""
    copy = pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
    if type(copy) is not type(exc) or str(copy) != str(exc):
        raise TypeError("the exception does not survive pickling")
    return exc


@atexit.register
def _stop_children() -> None:
    for call in list(_RUNNING):
        call.cancel()
