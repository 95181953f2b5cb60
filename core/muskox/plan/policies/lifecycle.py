"""Lifecycle rules (spec 8.1): what muskox may create, alter and drop, judged by the TARGET lifecycle.

Blocked changes are returned with a reason for the user and never executed. A recreate whose drop is blocked
is blocked whole ("CREATE blocked because the corresponding DROP was blocked"), so the table stays as it is.
"""

from __future__ import annotations

import attrs

from muskox.model.table import LifeCycle
from muskox.plan.changes import (
    Added,
    Blocked,
    Change,
    ColumnRemoved,
    Recreated,
    Removed,
    Resource,
    TableAltered,
    TopicAltered,
)

_LABEL = {"table": "Table", "view": "View", "materialized_view": "Materialized view", "topic": "Topic",
          "dictionary": "Dictionary", "sql_resource": "SQL resource"}
_NAMES = {LifeCycle.DELETION_PROTECTED: "DELETION_PROTECTED", LifeCycle.EXTERNALLY_MANAGED: "EXTERNALLY_MANAGED"}


def life_cycle(resource: Resource) -> LifeCycle:
    """A resource's lifecycle (views have none: they are always fully managed)."""
    return getattr(resource, "life_cycle", LifeCycle.FULLY_MANAGED)


def apply_lifecycle(changes: list[Change]) -> tuple[list[Change], list[Blocked]]:
    """Split ``changes`` into those allowed and those blocked (with reasons)."""
    allowed: list[Change] = []
    blocked: list[Blocked] = []
    for change in changes:
        kept, refused = _check(change)
        if kept is not None:
            allowed.append(kept)
        blocked += refused
    return allowed, blocked


def _what(change: Change) -> str:
    name = getattr(change, "after", None) or getattr(change, "before", None)
    return f"{_LABEL[change.kind]} '{getattr(name, 'name', '?')}'"


def _check(change: Change) -> tuple[Change | None, list[Blocked]]:
    match change:
        case Added(after=after) if life_cycle(after) is LifeCycle.EXTERNALLY_MANAGED:
            return None, [Blocked(change, f"{_what(change)} is EXTERNALLY_MANAGED - CREATE blocked")]
        case Removed(before=before) if life_cycle(before) is not LifeCycle.FULLY_MANAGED:
            return None, [Blocked(change, f"{_what(change)} is {_NAMES[life_cycle(before)]} - DROP blocked")]
        case Recreated(kind="dictionary", after=after) if life_cycle(after) is LifeCycle.EXTERNALLY_MANAGED:
            return None, [Blocked(change, f"{_what(change)} is EXTERNALLY_MANAGED - replace blocked")]
        case Recreated(kind="dictionary"):
            return change, []  # a replace drops nothing: DELETION_PROTECTED allows it
        case Recreated(after=after) if life_cycle(after) is not LifeCycle.FULLY_MANAGED:
            return None, [Blocked(change, f"{_what(change)} is {_NAMES[life_cycle(after)]} - DROP blocked "
                                          f"({change.reason}); CREATE blocked because the corresponding DROP "
                                          f"was blocked")]
        case TableAltered(after=after) if after.life_cycle is LifeCycle.EXTERNALLY_MANAGED:
            return None, [Blocked(change, f"{_what(change)} is EXTERNALLY_MANAGED - ALTER blocked")]
        case TopicAltered(after=after) if after.life_cycle is LifeCycle.EXTERNALLY_MANAGED:
            return None, [Blocked(change, f"{_what(change)} is EXTERNALLY_MANAGED - update blocked")]
        case TableAltered(after=after) if after.life_cycle is LifeCycle.DELETION_PROTECTED:
            drops = [c for c in change.columns if isinstance(c, ColumnRemoved)]
            if not drops:
                return change, []
            kept = attrs.evolve(change, columns=tuple(c for c in change.columns if not isinstance(c, ColumnRemoved)))
            names = ", ".join(c.column.name for c in drops)
            reason = (f"{_what(change)} is DELETION_PROTECTED - {len(drops)} column drop(s) blocked: {names}")
            blocked = [Blocked(attrs.evolve(change, columns=tuple(drops), settings_changed=False, ttl_changed=False,
                                            indexes_added=(), indexes_dropped=(), projections_added=(),
                                            projections_dropped=(), sample_by_changed=False), reason)]
            return (None if kept.is_empty() else kept), blocked
    return change, []
