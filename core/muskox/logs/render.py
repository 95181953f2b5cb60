"""Command-log records as lines for people (``muskox logs`` without ``--json``)."""

from __future__ import annotations

from typing import Any

from muskox.logs.records import COMMAND, CONNECT, DEV_CYCLE, END, STATEMENT, parse_time


def _when(record: dict[str, Any]) -> str:
    moment = parse_time(str(record.get("time", "")))
    if moment is None:
        return str(record.get("time", "?"))
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _who(record: dict[str, Any]) -> str:
    tenant = record.get("tenant")
    return f"{record.get('command', '?')}[{record.get('pid', '?')}]" + (f" tenant={tenant}" if tenant else "")


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "?"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _error(record: dict[str, Any]) -> str:
    code, name = record.get("error_code"), record.get("error_name")
    label = f"error {code}" + (f" ({name})" if name else "") if code is not None else "error"
    return f"{label}: {record.get('error') or '?'}"


def describe(record: dict[str, Any]) -> str:
    """What the record says, without its time and command."""
    event = record.get("event")
    if event == COMMAND:
        server = record.get("server")
        return "started" + (f" on {server}" if server else "")
    if event == CONNECT:
        return f"connected to {record.get('server')}"
    if event == STATEMENT:
        sql = " ".join(str(record.get("sql", "")).split())
        if record.get("outcome") == "ok":
            return f"ok    {_duration(record.get('seconds')):>8}  {sql}"
        return f"FAIL  {_duration(record.get('seconds')):>8}  {sql}  -- {_error(record)}"
    if event == DEV_CYCLE:
        text = f"cycle {record.get('cycle')}: {record.get('outcome')}"
        if record.get("operations"):
            text += f", {record.get('operations')} operation(s)"
        if record.get("error"):
            text += f": {record.get('error')}"
        return f"{text} ({_duration(record.get('seconds'))})"
    if event == END:
        text = f"ended: exit {record.get('exit_code')} ({record.get('exit_name')}) after " \
               f"{_duration(record.get('seconds'))}"
        return text + (f": {record.get('error')}" if record.get("error") else "")
    extra = {k: v for k, v in record.items() if k not in ("time", "command", "tenant", "pid", "event")}
    return f"{event} {extra}" if extra else str(event)


def render_line(record: dict[str, Any]) -> str:
    """``2026-04-15 10:15:30.123  migrate[4242]  ok      12 ms  ALTER TABLE …``."""
    return f"{_when(record)}  {_who(record)}  {describe(record)}"
