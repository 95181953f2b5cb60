"""Printing the migration history kept in the state store (``muskox logs --history``) for people."""

from __future__ import annotations

from typing import Any

_MARKS = {"ok": "✓", "failed": "✗", "not_run": "·"}


def render_entry(entry: dict[str, Any]) -> list[str]:
    """One run: a headline (time, command, mode, what, outcome, duration, who), then one line per operation."""
    if "unreadable" in entry:
        return [f"(unreadable history entry: {entry['unreadable']!r})"]
    by = entry.get("by") or {}
    who = f"{by.get('user', '?')} on {by.get('machine', '?')}" if isinstance(by, dict) else str(by)
    ci = [f"{key}={value}" for key, value in sorted(by.items()) if key not in ("user", "machine")] \
        if isinstance(by, dict) else []
    what = f"plan {entry['plan']}" if entry.get("plan") else _files(entry.get("migrations"))
    tenant = f" tenant {entry['tenant']}" if entry.get("tenant") else ""
    head = (f"{entry.get('time', '?')}  {entry.get('command', '?')} ({entry.get('mode', '?')}{tenant})  {what}  "
            f"{str(entry.get('outcome', '?')).upper()} in {entry.get('seconds', '?')} s  by {who}"
            + (f" [{', '.join(ci)}]" if ci else ""))
    lines = [head]
    if entry.get("error"):
        lines.append(f"    error: {str(entry['error']).splitlines()[0]}")
    for operation in _operations(entry):
        seconds = f" ({operation['seconds']} s)" if "seconds" in operation else ""
        error = f": {str(operation['error']).splitlines()[0]}" if operation.get("error") else ""
        lines.append(f"    {_MARKS.get(str(operation.get('outcome')), '?')} [{operation.get('n', '?')}] "
                     f"{operation.get('description', '?')}{seconds}{error}")
    return lines


def _files(migrations: object) -> str:
    if not isinstance(migrations, list) or not migrations:
        return "no migration file"
    return "files " + ", ".join(str(item.get("id", "?")) for item in migrations if isinstance(item, dict))


def _operations(entry: dict[str, Any]) -> list[dict[str, Any]]:
    found = entry.get("operations")
    if isinstance(found, list):
        return [op for op in found if isinstance(op, dict)]
    migrations = entry.get("migrations")
    if isinstance(migrations, list):
        return [op for item in migrations if isinstance(item, dict)
                for op in (item.get("operations") or []) if isinstance(op, dict)]
    return []
