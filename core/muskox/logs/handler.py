"""The logging handler the CLI installs for each command: it writes command-log events to the log directory.

It is attached to the ``muskox`` logger and looks only at log records carrying an event
(:data:`muskox.logs.records.EVENT_ATTRIBUTE`); everything else (the human log lines) is ignored. Nothing is
written until the command touches a server, so ``--help`` or ``muskox config`` leave no trace. A directory that
cannot be written makes the handler fall silent after one warning: logging never fails a command.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from muskox.exit_codes import ExitCode
from muskox.logs.files import LogDirectory, log_dir
from muskox.logs.records import COMMAND, CONNECT, END, EVENT_ATTRIBUTE, masked, utc_now

LOGGER = "muskox"


class CommandLogHandler(logging.Handler):
    """Writes the events of one command (see :mod:`muskox.logs.records`) to ``directory``.

    :param command: the command path (``migrate``, ``generate migration``).
    :param tenant: the ``--tenant`` in effect, or None.
    """

    def __init__(self, directory: LogDirectory, *, command: str, tenant: str | None) -> None:
        super().__init__(logging.DEBUG)
        self.directory = directory
        self.command = command
        self.tenant = tenant
        self.started = False
        """True once the command's first record (``command``) was written."""
        self.failed = False
        """True when writing failed (the handler then writes nothing more)."""
        self._servers: set[str] = set()
        self._write_lock = threading.Lock()
        self._clock = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record's event, if it carries one."""
        event = getattr(record, EVENT_ATTRIBUTE, None)
        if isinstance(event, Mapping) and isinstance(event.get("event"), str):
            self.write_event(event)

    def write_event(self, event: Mapping[str, Any]) -> None:
        """Write ``event`` (with the command's context), preceded by the ``command`` record if it is the first."""
        with self._write_lock:
            if event.get("event") == CONNECT:
                server = str(event.get("server"))
                if server in self._servers:
                    return
                self._servers.add(server)
                if not self.started:
                    self._start(server)
                    return
            elif not self.started:
                self._start(None)
            self._write(event)

    def finish(self, exit_code: int, error: str | None = None) -> None:
        """Write the ``end`` record (only if the command wrote anything before)."""
        with self._write_lock:
            if not self.started:
                return
            try:
                name = ExitCode(exit_code).name
            except ValueError:
                name = str(exit_code)
            self._write({"event": END, "exit_code": exit_code, "exit_name": name,
                         "seconds": round(time.monotonic() - self._clock, 3), "error": error})

    def _start(self, server: str | None) -> None:
        self.started = True
        self._write({"event": COMMAND, "server": server})

    def _write(self, event: Mapping[str, Any]) -> None:
        if self.failed:
            return
        record = {"time": utc_now(), "command": self.command, "tenant": self.tenant, "pid": os.getpid(),
                  **{key: value for key, value in event.items() if key not in ("time", "command", "tenant")}}
        line = json.dumps(masked(record), ensure_ascii=False, default=str, separators=(",", ":"))
        try:
            self.directory.append(line, _today())
        except OSError as exc:
            self.failed = True
            sys.stderr.write(f"muskox: warning: cannot write the command log in {self.directory.directory} "
                             f"({exc.strerror or exc}); logging to it is off for this command\n")


def _today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def install(project_dir: Path, *, command: str, tenant: str | None) -> CommandLogHandler:
    """Attach a :class:`CommandLogHandler` for ``command`` to the ``muskox`` logger (replacing an earlier one)."""
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if isinstance(h, CommandLogHandler)]:
        logger.removeHandler(old)
    handler = CommandLogHandler(LogDirectory(log_dir(project_dir)), command=command, tenant=tenant)
    logger.addHandler(handler)
    return handler


def finish(exit_code: int, error: str | None = None) -> None:
    """Write the ``end`` record of the installed handler (if any wrote anything) and detach it."""
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, CommandLogHandler)]:
        handler.finish(exit_code, error)
        logger.removeHandler(handler)


def event(logger: logging.Logger, name: str, message: str, **fields: Any) -> None:
    """Log ``message`` at INFO with the event ``name`` and ``fields`` attached (for the command log)."""
    logger.info("%s", message, extra={EVENT_ATTRIBUTE: {"event": name, **fields}})


def has_event(record: logging.LogRecord) -> bool:
    """True for records that carry an event (the terminal's handler leaves them out)."""
    return hasattr(record, EVENT_ATTRIBUTE)
