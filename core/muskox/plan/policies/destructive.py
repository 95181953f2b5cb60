"""Which changes can lose data (spec 6.4, extended to views) and which are risky (type narrowing).

*Destructive*: a table drop, a table recreate, a column drop, a view or materialized-view drop or recreate.
These need approval (the destructive gate). *Risky*: a column change that may fail or truncate data as a
mutation — a type change that is not a known widening, or Nullable to not Nullable. Risky changes are
reported as warnings; they are not gated.
"""

from __future__ import annotations

import attrs

from muskox.model.table import Column
from muskox.model.types import (
    Array,
    DataType,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    FixedString,
    LowCardinality,
    Simple,
)
from muskox.plan.changes import Change, ColumnModified, ColumnRemoved, Recreated, Removed, TableAltered

_KIND_WORDS = {"table": "TABLE", "view": "VIEW", "materialized_view": "MATERIALIZED VIEW", "topic": "TOPIC"}


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
            case Removed(kind=kind, before=before):
                findings.append(Finding(change.key, f"DROP {_KIND_WORDS[kind]} {_qualified(before)}"))
            case Recreated(kind=kind, after=after, reason=reason):
                findings.append(Finding(change.key, f"DROP + RECREATE {_KIND_WORDS[kind]} {_qualified(after)} "
                                                    f"({reason})"))
            case TableAltered(after=after):
                findings += [Finding(change.key, f"DROP COLUMN {c.column.name} FROM {_qualified(after)}")
                             for c in change.columns if isinstance(c, ColumnRemoved)]
    return findings


def risky_findings(changes: list[Change]) -> list[Finding]:
    """Column changes that may fail or lose precision when ClickHouse converts the data."""
    findings: list[Finding] = []
    for change in changes:
        if not isinstance(change, TableAltered):
            continue
        for column_change in change.columns:
            if isinstance(column_change, ColumnModified):
                reason = narrowing(column_change.before, column_change.after)
                if reason:
                    findings.append(Finding(change.key, f"MODIFY COLUMN {column_change.after.name} IN "
                                                        f"{_qualified(change.after)}: {reason}"))
    return findings


def narrowing(before: Column, after: Column) -> str | None:
    """Why converting ``before`` to ``after`` may fail or lose data, or None when it is a safe widening."""
    if before.nullable and not after.nullable:
        return "Nullable to not Nullable (NULLs become defaults or the conversion fails)"
    if before.data_type == after.data_type or is_widening(before.data_type, after.data_type):
        return None
    return f"type change {_show(before.data_type)} → {_show(after.data_type)} may fail or truncate values"


def _show(data_type: DataType) -> str:
    from muskox.model.types import render_type

    return render_type(data_type)


_INT_BITS = {f"{sign}Int{bits}": (sign == "", bits) for sign in ("", "U") for bits in (8, 16, 32, 64, 128, 256)}


def is_widening(before: DataType, after: DataType) -> bool:
    """Conversions ClickHouse performs without losing any value."""
    match before, after:
        case LowCardinality(inner), _:
            return inner == after or is_widening(inner, after)
        case _, LowCardinality(inner):
            return before == inner or is_widening(before, inner)
        case Simple(a), Simple(b) if a in _INT_BITS and b in _INT_BITS:
            (signed_a, bits_a), (signed_b, bits_b) = _INT_BITS[a], _INT_BITS[b]
            return (signed_a == signed_b and bits_b >= bits_a) or (not signed_a and signed_b and bits_b > bits_a)
        case Simple(a), Simple("Float64") if a in ("Float32", "Int8", "Int16", "Int32", "UInt8", "UInt16", "UInt32"):
            return True
        case Simple("Date"), Simple("Date32") | DateTime() | DateTime64():
            return True
        case DateTime(), DateTime64():
            return True
        case DateTime64(p1, tz1), DateTime64(p2, tz2):
            return p2 >= p1 and tz1 == tz2
        case FixedString(), Simple("String"):
            return True
        case Decimal(p1, s1), Decimal(p2, s2):
            return s2 >= s1 and (p2 - s2) >= (p1 - s1)
        case Enum(_, members_before), Enum(_, members_after):
            return set(members_before) <= set(members_after)
        case Array(a), Array(b):
            return a == b or is_widening(a, b)
    return False
