"""Which changes can lose data (spec 6.4, extended to views) and which are risky (type narrowing).

*Destructive*: a table drop, a table recreate, a column drop, a view or materialized-view drop or recreate, a
dictionary drop (a dictionary replace is not: it reloads from its source tables, which keep every row), a SQL
resource's teardown (its removal, or its change: teardown, then setup).
These need approval (the destructive gate). *Risky*: a column change that may fail or truncate data as a
mutation — a type change the backend's dialect does not call a widening, or Nullable to not Nullable. Risky
changes are reported as warnings; they are not gated.
"""

from __future__ import annotations

import attrs

from muskox.model.table import Column
from muskox.plan.changes import Change, ColumnModified, ColumnRemoved, Recreated, Removed, TableAltered
from muskox.plugin.dialect import Dialect

_KIND_WORDS = {"table": "TABLE", "view": "VIEW", "materialized_view": "MATERIALIZED VIEW", "topic": "TOPIC",
               "dictionary": "DICTIONARY", "sql_resource": "SQL RESOURCE"}


@attrs.frozen
class Finding:
    """One destructive or risky change, as shown to the user (``DROP COLUMN c FROM t``)."""

    key: str
    description: str


def _qualified(resource: object) -> str:
    database = getattr(resource, "database", None)
    name = getattr(resource, "name", "?")
    return f"{database}.{name}" if database else str(name)


def destructive_findings(changes: list[Change]) -> list[Finding]:
    """Every destructive change, in change order."""
    findings: list[Finding] = []
    for change in changes:
        match change:
            case Removed(kind="sql_resource", before=before):
                findings.append(Finding(change.key, f"TEARDOWN SQL RESOURCE {_qualified(before)}"))
            case Recreated(kind="sql_resource", after=after):
                findings.append(Finding(change.key, f"TEARDOWN + SETUP SQL RESOURCE {_qualified(after)} "
                                                    f"(setup or teardown SQL changed)"))
            case Removed(kind=kind, before=before):
                findings.append(Finding(change.key, f"DROP {_KIND_WORDS[kind]} {_qualified(before)}"))
            case Recreated(kind="dictionary"):
                pass  # replaced in one statement: no source table loses a row
            case Recreated(kind=kind, after=after, reason=reason, copy_rows=True):
                findings.append(Finding(change.key, f"RECREATE {_KIND_WORDS[kind]} {_qualified(after)} WITH A COPY "
                                                    f"OF ITS ROWS ({reason})"))
            case Recreated(kind=kind, after=after, reason=reason):
                findings.append(Finding(change.key, f"DROP + RECREATE {_KIND_WORDS[kind]} {_qualified(after)} "
                                                    f"({reason})"))
            case TableAltered(after=after):
                findings += [Finding(change.key, f"DROP COLUMN {c.column.name} FROM {_qualified(after)}")
                             for c in change.columns if isinstance(c, ColumnRemoved)]
    return findings


def risky_findings(changes: list[Change], dialect: Dialect) -> list[Finding]:
    """Column changes that may fail or lose precision when the database converts the data."""
    findings: list[Finding] = []
    for change in changes:
        if not isinstance(change, TableAltered):
            continue
        for column_change in change.columns:
            if isinstance(column_change, ColumnModified):
                reason = narrowing(column_change.before, column_change.after, dialect)
                if reason:
                    findings.append(Finding(change.key, f"MODIFY COLUMN {column_change.after.name} IN "
                                                        f"{_qualified(change.after)}: {reason}"))
    return findings


def narrowing(before: Column, after: Column, dialect: Dialect) -> str | None:
    """Why converting ``before`` to ``after`` may fail or lose data, or None when it is a safe widening."""
    if before.nullable and not after.nullable:
        return "Nullable to not Nullable (NULLs become defaults or the conversion fails)"
    if before.data_type == after.data_type or dialect.widens(before.data_type, after.data_type):
        return None
    return (f"type change {dialect.render_type(before.data_type)} → {dialect.render_type(after.data_type)} "
            f"may fail or truncate values")
