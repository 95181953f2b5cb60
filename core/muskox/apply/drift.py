"""Drift detection (spec 5): has the database changed since the plan was generated?

Three states meet: *current* (the database now, reconciled), *expected* (``remote_state.json``: the database
when the plan was made) and *target* (the code now). Everything is compared through the one normalization,
the OLAP backend's dialect's, and — unlike Moose, which checks tables only — views, materialized views and
topics take part too.

1. current == expected → no drift (then the code must still match ``local_infra_map.json``);
2. current == target → already at target (a re-run, or someone applied it by hand): nothing to execute;
3. otherwise → drift: nothing is executed, and the report says what changed.
"""

from __future__ import annotations

import enum
from collections.abc import Collection

import attrs

from muskox.errors import MuskoxError, PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.model.extensions import extension_drift
from muskox.model.infra_map import InfraMap
from muskox.model.resources import Topic
from muskox.model.table import LifeCycle
from muskox.plan.changes import (
    Added,
    Change,
    ColumnAdded,
    ColumnModified,
    ColumnRemoved,
    Recreated,
    Removed,
    TableAltered,
    TopicAltered,
)
from muskox.plan.differ import DiffOptions, diff
from muskox.plugin.dialect import Dialect


class DriftOutcome(enum.Enum):
    """The result of the three-way check."""

    NO_DRIFT = "no_drift"
    ALREADY_AT_TARGET = "already_at_target"
    DRIFT = "drift"


class DriftDetected(MuskoxError):
    """The database changed since the plan was generated; nothing was executed."""

    exit_code = ExitCode.DRIFT


def _comparable(infra: InfraMap, dialect: Dialect, ignore: Collection[str]) -> InfraMap:
    """``infra`` as the differ sees it: normalized, keyed by physical name, without lifecycles, and with each
    table's columns in name order (the differ leaves the order of columns alone, e.g. after a rename, so a
    comparison that counted it would call a database drifted that no plan could change)."""
    normalized = dialect.normalize_infra_map(infra, ignore_operations=ignore)
    by_physical_name = {  # lifecycle is a rule for muskox, not a property of the database
        f"{table.database or infra.default_database}.{table.name}": attrs.evolve(
            table, life_cycle=LifeCycle.FULLY_MANAGED, version=None,
            columns=tuple(sorted(table.columns, key=lambda column: column.name)))
        for table in normalized.tables.values()}
    return attrs.evolve(normalized, default_database="", tables=dict(sorted(by_physical_name.items())))


def same_state(left: InfraMap, right: InfraMap, dialect: Dialect, ignore: Collection[str] = ()) -> bool:
    """Equal after ``dialect``'s normalization (map keys and metadata do not matter, physical identity does)."""
    return _comparable(left, dialect, ignore) == _comparable(right, dialect, ignore)


def check_drift(current: InfraMap, expected: InfraMap, target: InfraMap, dialect: Dialect,
                ignore: Collection[str] = ()) -> DriftOutcome:
    """Which of the three outcomes applies."""
    if same_state(current, expected, dialect, ignore):
        return DriftOutcome.NO_DRIFT
    if same_state(current, target, dialect, ignore):
        return DriftOutcome.ALREADY_AT_TARGET
    return DriftOutcome.DRIFT


def describe(change: Change) -> str:
    """One report line: ``+`` in the database but not in the snapshot, ``-`` the reverse, ``~`` different."""
    match change:
        case Added(kind=kind, after=after):
            return f"+ {kind.replace('_', ' ')} {getattr(after, 'name', change.key)} (added to the database)"
        case Removed(kind=kind, before=before):
            return f"- {kind.replace('_', ' ')} {getattr(before, 'name', change.key)} (removed from the database)"
        case Recreated(kind=kind, after=after, reason=reason):
            return f"~ {kind.replace('_', ' ')} {getattr(after, 'name', change.key)}: {reason}"
        case TableAltered(after=after):
            details = []
            for column_change in change.columns:
                if isinstance(column_change, ColumnAdded):
                    details.append(f"column {column_change.column.name} added")
                elif isinstance(column_change, ColumnRemoved):
                    details.append(f"column {column_change.column.name} removed")
                elif isinstance(column_change, ColumnModified):
                    details.append(f"column {column_change.after.name} changed")
            details += ["settings changed"] if change.settings_changed else []
            details += ["TTL changed"] if change.ttl_changed else []
            details += [f"index {i.name} changed" for i in change.indexes_added + change.indexes_dropped]
            details += [f"projection {p.name} changed" for p in change.projections_added + change.projections_dropped]
            details += ["SAMPLE BY changed"] if change.sample_by_changed else []
            return f"~ table {after.name}: {', '.join(details) or 'schema changed'}"
        case TopicAltered(before=before, after=after):
            return f"~ topic {after.name}: {topic_differences(before, after)}"
    return f"~ {change.key}"


def topic_differences(before: Topic, after: Topic) -> str:
    """``partitions 1 → 3, retention.ms 60000 → 120000, cleanup.policy removed``."""
    details = [f"partitions {before.partitions} → {after.partitions}"] if before.partitions != after.partitions else []
    old, new = before.managed_configs(), after.managed_configs()
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            details.append(f"{key} removed (was {old[key]})")
        elif key not in old:
            details.append(f"{key} = {new[key]} added")
        elif old[key] != new[key]:
            details.append(f"{key} {old[key]} → {new[key]}")
    return ", ".join(details) or "configuration changed"


def drift_report(expected: InfraMap, current: InfraMap, dialect: Dialect,
                 ignore: Collection[str] = ()) -> list[str]:
    """What changed in the database since ``expected`` was recorded, one line each."""
    lines = [describe(change) for change in diff(expected, current, dialect, DiffOptions(frozenset(ignore)))]
    return lines + extension_drift(expected.extensions, current.extensions)


def raise_drift(expected: InfraMap, current: InfraMap, regenerate: str, dialect: Dialect,
                ignore: Collection[str] = ()) -> None:
    """Raise :class:`DriftDetected` with the report and the command that regenerates the plan."""
    lines = drift_report(expected, current, dialect, ignore)
    raise DriftDetected(
        "the database changed since the migration plan was generated (another deploy, a manual change, or a "
        "stale plan); nothing was executed:\n" + "\n".join(f"  {line}" for line in lines),
        f"regenerate the plan against the database as it is now: {regenerate}",
    )


def check_plan_database(plan_target: InfraMap, database: str) -> None:
    """The plan files must have been made for ``database`` (else they are another project's or another
    ``db_name``'s, and comparing their tables would only report confusing differences)."""
    if plan_target.default_database != database:
        raise PlanInvalid(f"the plan was generated for database '{plan_target.default_database}' but this run "
                          f"targets '{database}' (local_infra_map.json is for other code or another "
                          "[clickhouse_config] db_name); nothing was executed",
                          "regenerate the plan with `muskox generate migration --save` against this database and "
                          "commit it with the code")


def check_code_consistency(plan_target: InfraMap, code: InfraMap, dialect: Dialect,
                           ignore: Collection[str] = ()) -> None:
    """The plan's ``local_infra_map.json`` must still describe today's code."""
    if same_state(plan_target, code, dialect, ignore):
        return
    fix = "regenerate the plan with `muskox generate migration --save` and commit it with the code"
    check_plan_database(plan_target, code.default_database)
    try:
        changes = diff(plan_target, code, dialect, DiffOptions(frozenset(ignore)))
    except MuskoxError as exc:  # e.g. a table "moved" between databases: the plan is for other code
        raise PlanInvalid("the plan's desired state (local_infra_map.json) does not describe the current code "
                          f"({exc.problem}); nothing was executed", fix) from None
    lines = [describe(change) for change in changes]
    raise PlanInvalid(
        "the plan's desired state (local_infra_map.json) differs from the current code; the plan is for "
        "other code:\n" + "\n".join(f"  {line}" for line in lines),
        "regenerate the plan with `muskox generate migration --save` and commit it with the code",
    )
