"""The migration history kept in the state store: who applied what, when, how long each operation took and how
it ended (``muskox logs --history`` reads it back).

One entry per ``migrate`` or ``prod`` boot migration, written once the run is over (also when it failed), as a
JSON document through :meth:`muskox.plugin.interfaces.StateStore.append_history`. Writing it never changes a
migration's outcome: a store that cannot keep it gets a warning, not an error. Entries hold operation
descriptions and errors (credentials masked), never the SQL sent.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from muskox.apply.executor import ApplyOne, ExecutionReport
from muskox.masking import mask_text
from muskox.model.operations import Operation
from muskox.plugin.interfaces import StateStore
from muskox.state.lock_info import default_owner

log = logging.getLogger("muskox.apply.history")

HISTORY_VERSION = 1
#: Environment variables naming the CI run an entry came from, recorded when set.
CI_VARIABLES = ("GITHUB_RUN_ID", "GITHUB_ACTOR", "CI_PIPELINE_ID", "CI_JOB_ID", "BUILDKITE_BUILD_ID",
                "CIRCLE_BUILD_NUM", "BUILD_ID")


class OperationTimer:
    """Wraps an :data:`~muskox.apply.executor.ApplyOne` and remembers how long each operation took (thread-safe;
    operations are told apart by identity, as the executor passes the plan's own objects)."""

    def __init__(self, apply_one: ApplyOne) -> None:
        self._apply_one = apply_one
        self._seconds: dict[int, float] = {}
        self._lock = threading.Lock()

    def __call__(self, operation: Operation) -> None:
        """Apply ``operation``, timing it (a failure is timed too)."""
        started = time.perf_counter()
        try:
            self._apply_one(operation)
        finally:
            with self._lock:
                self._seconds[id(operation)] = time.perf_counter() - started

    def seconds(self, operation: Operation) -> float | None:
        """How long ``operation`` took, or None when it did not run."""
        with self._lock:
            return self._seconds.get(id(operation))


@attrs.frozen
class RunContext:
    """What every entry of one run shares."""

    command: str
    """``migrate`` or ``prod``."""
    mode: str
    """``snapshot`` or ``delta``."""
    tenant: str | None = None


def now() -> str:
    """The current UTC time, RFC 3339 with milliseconds."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def who() -> dict[str, str]:
    """The user, machine and process, and the CI run when one is named in the environment."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    found = {"user": user, "machine": default_owner()}
    found.update({name.lower(): os.environ[name] for name in CI_VARIABLES if os.environ.get(name)})
    return found


def operations_json(report: ExecutionReport, timer: OperationTimer | None,
                    numbers: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Each operation's fate: number in the plan (``numbers``, 1-based; default its place in the report),
    description, outcome (``ok``, ``failed``, ``not_run``), seconds and the error of a failed one."""
    failed = {failure.index: failure.error for failure in report.failed}
    succeeded = set(report.succeeded)
    entries: list[dict[str, Any]] = []
    for index, operation in enumerate(report.operations):
        outcome = "ok" if index in succeeded else ("failed" if index in failed else "not_run")
        entry: dict[str, Any] = {"n": numbers[index] if numbers else index + 1,
                                 "operation": type(operation).__name__,
                                 "description": operation.describe(), "outcome": outcome}
        seconds = timer.seconds(operation) if timer is not None else None
        if seconds is not None:
            entry["seconds"] = round(seconds, 4)
        if index in failed:
            entry["error"] = mask_text(str(failed[index]))[:2000]
        entries.append(entry)
    return entries


def record_run(store: StateStore, context: RunContext, *, outcome: str, started: float,
               subject: dict[str, Any], operations: list[dict[str, Any]] | None = None,
               warn: Callable[[str], None] | None = None) -> None:
    """Append one entry; a store that cannot keep it is reported through ``warn`` (default: the log)."""
    entry: dict[str, Any] = {"version": HISTORY_VERSION, "time": now(), "command": context.command,
                             "mode": context.mode, "tenant": context.tenant, "outcome": outcome,
                             "seconds": round(time.monotonic() - started, 3), **subject, "by": who()}
    if "error" in entry:
        entry["error"] = mask_text(str(entry["error"]))
    if operations is not None:
        entry["operations"] = operations
    try:
        store.append_history(json.dumps(entry, sort_keys=True, ensure_ascii=False))
    except NotImplementedError:
        return
    except Exception as exc:  # the history never changes a migration's outcome
        (warn or log.warning)(f"the migration history was not recorded in the state store ({store.where()}): "
                              f"{exc}")


def decode_entries(raw: Sequence[str]) -> list[dict[str, Any]]:
    """Stored entries as dicts (an entry that is not a JSON object is shown as such, never dropped silently)."""
    entries: list[dict[str, Any]] = []
    for text in raw:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        entries.append(value if isinstance(value, dict) else {"unreadable": text[:200]})
    return entries
