"""Synchronising tests with processes and the ClickHouse server on events, never on time windows.

A :class:`Gate` is a statement that blocks inside the server until the test opens the gate: ClickHouse's
``file()`` reading a named pipe (the test server runs on this machine, and the embedded server reads absolute
paths) waits for the pipe's end, which only the test brings about. Put ``gate.sql`` in a plan as a ``RawSql``
and the process running it holds the migration lock for exactly as long as the test wants, however slow the
machine is; ``system.processes`` shows who stands at the gate (:meth:`Gate.readers_query`).

:func:`wait_for` waits for a condition (a process's output, a row in a table) with a deadline that only bounds
a failure: the condition is an event, so a slow machine only makes the wait longer, never the test wrong.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

#: The deadline of :func:`wait_for` when none is given: long enough for any loaded machine.
DEADLINE = 180.0


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Return as soon as ``condition()`` is true; fail with ``what`` if it is still false after ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Gate:
    """A named pipe that a ClickHouse query reads until the test opens the gate (:meth:`open`).

    The test keeps the pipe open for writing from the start, so a reader's ``open()`` returns at once and its
    ``read()`` blocks until :meth:`open` closes the write end (end of file). :meth:`open` first puts an empty
    regular file in the pipe's place, so a query started later does not wait at all. Use it as a context
    manager: leaving the block opens the gate, so no server thread stays blocked after the test.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path, 0o600)
        # O_RDWR never blocks on a FIFO (Linux); the descriptor is not inherited by the processes the test starts
        self._writer: int | None = os.open(path, os.O_RDWR)

    @property
    def sql(self) -> str:
        """A statement that returns only once the gate is open (it reads the pipe to its end)."""
        return (f"SELECT count() FROM file({_literal(str(self.path))}, 'LineAsString') "
                "SETTINGS storage_file_read_method = 'read'")

    def readers_query(self) -> str:
        """SQL counting the queries reading this gate right now (``system.processes``)."""
        return (f"SELECT count() FROM system.processes WHERE position(query, {_literal(str(self.path))}) > 0 "
                "AND query_id != queryID()")

    @property
    def is_open(self) -> bool:
        return self._writer is None

    def open(self) -> None:
        """Let every query reading the gate finish, and any later one pass at once."""
        if self._writer is None:
            return
        passage = self.path.with_name(self.path.name + ".open")
        passage.write_bytes(b"")
        passage.replace(self.path)  # later readers find a regular, empty file
        os.close(self._writer)  # current readers reach the end of the pipe
        self._writer = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.open()
