"""Version bumps (spec 7.3): a table replaced by a newer version of itself, with optional backfill SQL.

*In place*: the diff drops ``events`` (or ``events_1_0``) and creates ``events_2_0`` of the same logical table
and database, with a higher version. *Alongside*: a newer version is added while the older one stays in the
code. A backfill copies the rows when the insertable columns (not MATERIALIZED/ALIAS) of both tables are the
same set of (name, type, nullability): the dialect's copy of those columns (``INSERT INTO new (cols) SELECT cols
FROM old`` in SQL). The drop of the old
table (in place, when not retained) runs after the backfill and is not gated again: it was decided here.
"""

from __future__ import annotations

import re

import attrs

from muskox.model.infra_map import InfraMap
from muskox.model.operations import CreateTable, DropTable, Operation, RawSql
from muskox.model.table import Table, version_suffix
from muskox.plan.changes import Added, Change, Removed
from muskox.plugin.dialect import Dialect, TableName


@attrs.frozen
class VersionBump:
    """``old`` replaced by ``new``; ``in_place`` when the old table leaves the code in the same change."""

    old: Table
    new: Table
    in_place: bool
    old_key: str
    new_key: str

    @property
    def logical_name(self) -> str:
        """The table's name without its version suffix."""
        return logical_name(self.new)


@attrs.frozen
class BumpDecision:
    """What to do about one bump: copy the rows? keep the old table (EXTERNALLY_MANAGED from now on)?"""

    backfill: bool
    retain_old: bool


def logical_name(table: Table) -> str:
    """``events_2_0`` with version ``2.0`` → ``events``."""
    suffix = version_suffix(table.version)
    return table.name[: -len(suffix)] if suffix and table.name.endswith(suffix) else table.name


def version_key(version: str | None) -> tuple[tuple[int, int | str], ...]:
    """A sortable key: numeric parts compare as numbers (``10.0`` > ``9.1``); no version sorts first."""
    if not version:
        return ()
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[._-]", version))


def next_version(version: str | None) -> str:
    """The version to suggest next: unversioned → ``0.1``; otherwise the major part + 1 (``1.0`` → ``2.0``)."""
    if not version:
        return "0.1"
    major, dot, rest = version.partition(".")
    if not major.isdigit():
        return f"{version}.1"
    return f"{int(major) + 1}{dot}{'0' * len(rest) if rest.isdigit() else rest}" if dot else str(int(major) + 1)


def detect_bumps(changes: list[Change], current: InfraMap) -> list[VersionBump]:
    """In-place and alongside bumps among the table adds of ``changes``."""
    removed = {c.key: c.before for c in changes if isinstance(c, Removed) and isinstance(c.before, Table)}
    added = [(c.key, c.after) for c in changes if isinstance(c, Added) and isinstance(c.after, Table)]
    bumps: list[VersionBump] = []
    used: set[str] = set()
    for new_key, new in added:
        if not new.version:
            continue
        candidates = [(key, old, key in removed) for key, old in current.tables.items()
                      if key not in used and logical_name(old) == logical_name(new)
                      and (old.database or current.default_database) == (new.database or current.default_database)
                      and version_key(old.version) < version_key(new.version)]
        if not candidates:
            continue
        key, old, in_place = max(candidates, key=lambda item: version_key(item[1].version))
        used.add(key)
        bumps.append(VersionBump(old=old, new=new, in_place=in_place, old_key=key, new_key=new_key))
    return bumps


def backfill_problem(bump: VersionBump) -> str | None:
    """Why rows cannot be copied automatically, or None when they can."""

    def insertable(table: Table) -> dict[str, tuple[object, bool]]:
        return {c.name: (c.data_type, c.nullable) for c in table.columns if c.materialized is None and c.alias is None}

    old, new = insertable(bump.old), insertable(bump.new)
    if old == new:
        return None
    problems = []
    if set(new) - set(old):
        problems.append(f"new table has columns not present in old: {', '.join(sorted(set(new) - set(old)))}")
    if set(old) - set(new):
        problems.append(f"old table has columns not present in new: {', '.join(sorted(set(old) - set(new)))}")
    mismatched = sorted(name for name in set(old) & set(new) if old[name] != new[name])
    if mismatched:
        problems.append(f"column type or nullability mismatch: {', '.join(mismatched)}")
    return "Not eligible (schema mismatch): " + "; ".join(problems)


def backfill_sql(bump: VersionBump, default_database: str, dialect: Dialect) -> str:
    """The statement copying the insertable columns of the old table into the new one, in ``dialect``."""
    columns = [c.name for c in bump.new.columns if c.materialized is None and c.alias is None]

    def address(table: Table) -> TableName:
        return TableName(table.database or default_database, table.name)

    return dialect.copy_rows_sql(address(bump.old), address(bump.new), columns)


def bump_operations(bump: VersionBump, decision: BumpDecision, default_database: str,
                    dialect: Dialect) -> tuple[list[Operation], list[Operation]]:
    """``(setup, cleanup)``: create the new table and backfill; then drop the old one unless it is retained."""
    setup: list[Operation] = [CreateTable(table=bump.new)]
    if decision.backfill:
        setup.append(RawSql(sql=(backfill_sql(bump, default_database, dialect),),
                            description=f"Backfill {bump.new.name} from {bump.old.name}"))
    cleanup: list[Operation] = []
    if bump.in_place and not decision.retain_old:
        cleanup.append(DropTable(table=bump.old.name, database=bump.old.database, cluster_name=bump.old.cluster))
    return setup, cleanup
