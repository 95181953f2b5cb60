"""The differ: current state vs target state → semantic changes (spec section 6).

Identity is the map key (database + name + version). Both sides are compared after the ONE normalization, the
OLAP backend's dialect's (:class:`muskox.plugin.dialect.Dialect`); changes carry the original values. The
dialect's rules decide ALTER versus drop-and-create, and which type changes convert in place. Pure: no I/O,
deterministic for equal inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.infra_map import InfraMap
from muskox.model.resources import normalize_topic
from muskox.model.table import Table
from muskox.plan.changes import (
    Added,
    Change,
    ColumnAdded,
    ColumnChange,
    ColumnModified,
    ColumnRemoved,
    Recreated,
    Removed,
    Resource,
    ResourceKind,
    TableAltered,
    TopicAltered,
)
from muskox.plugin.dialect import Dialect, TableName

R = TypeVar("R", bound=Resource)

class DatabaseMoveError(MuskoxError):
    """A table's ``database`` changed: muskox will not move data between databases on its own."""

    exit_code = ExitCode.PLAN_INVALID


class NormalizedTables:
    """Tables in ``dialect``'s comparable form, each table object normalized once: a caller that waits anyway (for
    the server's schema) can normalize the code's tables ahead of :func:`diff`, which then finds them here."""

    def __init__(self, dialect: Dialect, default_database: str, ignore_operations: frozenset[str] = frozenset()):
        self.dialect = dialect
        self.default_database = default_database
        self.ignore_operations = ignore_operations
        self._done: dict[int, tuple[Table, Table]] = {}  # the table is kept: its id stays unique

    def __call__(self, table: Table) -> Table:
        """``table`` normalized (``dialect.normalize_table``)."""
        done = self._done.get(id(table))
        if done is None:
            normalized = self.dialect.normalize_table(table, default_database=self.default_database,
                                                      ignore_operations=self.ignore_operations)
            done = self._done[id(table)] = (table, normalized)
        return done[1]

    def serves(self, dialect: Dialect, default_database: str, options: DiffOptions) -> bool:
        """True when this cache normalizes as :func:`diff` with these arguments does."""
        return (self.dialect is dialect and self.default_database == default_database
                and self.ignore_operations == options.ignore_operations)


@attrs.frozen
class DiffOptions:
    """What the comparison ignores (``migration_config.ignore_operations``), and tables already normalized."""

    ignore_operations: frozenset[str] = frozenset()
    normalized: NormalizedTables | None = attrs.field(default=None, eq=False)
    """Used when it normalizes with the same dialect, default database and ignored operations (else ignored)."""


def diff(current: InfraMap, target: InfraMap, dialect: Dialect, options: DiffOptions = DiffOptions()) -> list[Change]:
    """Every change that turns ``current`` into ``target``, tables first, in key order, compared in ``dialect``."""
    _check_database_moves(current, target, dialect)
    table_norm = options.normalized
    if table_norm is None or not table_norm.serves(dialect, target.default_database, options):
        table_norm = NormalizedTables(dialect, target.default_database, options.ignore_operations)
    changes: list[Change] = []
    changes += _diff_keyed("table", current.tables, target.tables,
                           lambda k, b, a: _diff_table(k, b, a, table_norm, dialect))
    db = target.default_database
    changes += _diff_keyed("dictionary", current.dictionaries, target.dictionaries,
                           lambda k, b, a: None if dialect.normalize_dictionary(b, default_database=db)
                           == dialect.normalize_dictionary(a, default_database=db)
                           else Recreated("dictionary", k, b, a, "dictionary definition changed"))
    changes += _diff_keyed("view", current.views, target.views,
                           lambda k, b, a: None if dialect.normalize_view(b, default_database=db)
                           == dialect.normalize_view(a, default_database=db)
                           else Recreated("view", k, b, a, "view definition changed"))
    changes += _diff_keyed("materialized_view", current.materialized_views, target.materialized_views,
                           lambda k, b, a: None if dialect.normalize_materialized_view(b, default_database=db)
                           == dialect.normalize_materialized_view(a, default_database=db)
                           else Recreated("materialized_view", k, b, a, "materialized view definition changed"))
    changes += _diff_keyed("sql_resource", current.sql_resources, target.sql_resources,
                           lambda k, b, a: None if b == a
                           else Recreated("sql_resource", k, b, a, "setup or teardown SQL changed"))
    changes += _diff_keyed("topic", current.topics, target.topics,
                           lambda k, b, a: None if normalize_topic(b) == normalize_topic(a)
                           else TopicAltered(k, b, a))
    return changes


def _diff_keyed(kind: ResourceKind, before: Mapping[str, R], after: Mapping[str, R],
                compare: Callable[[str, R, R], Change | None]) -> list[Change]:
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            changes.append(Removed(kind, key, before[key]))
        elif key not in before:
            changes.append(Added(kind, key, after[key]))
        else:
            change = compare(key, before[key], after[key])
            if change is not None:
                changes.append(change)
    return changes


def _check_database_moves(current: InfraMap, target: InfraMap, dialect: Dialect) -> None:
    """A table (same name and version) only in another database on each side is a move: refuse it."""
    removed = {(t.name, t.version): t for k, t in current.tables.items() if k not in target.tables}
    for key, table in sorted(target.tables.items()):
        if key in current.tables:
            continue
        old = removed.get((table.name, table.version))
        if old is None:
            continue
        old_db = old.database or current.default_database
        new_db = table.database or target.default_database
        raise DatabaseMoveError(
            f"table '{table.name}' moved from database '{old_db}' to '{new_db}'; muskox does not move tables "
            f"between databases because it would drop the data",
            f"do it by hand: (1) declare the new table under a new name or version in '{new_db}', "
            f"(2) migrate to create it, (3) copy the data: "
            f"{dialect.copy_rows_sql(TableName(old_db, old.name), TableName(new_db, table.name))}, "
            f"(4) remove the old declaration (or mark it EXTERNALLY_MANAGED) and migrate",
        )


def _diff_table(key: str, before: Table, after: Table, norm: Callable[[Table], Table],
                dialect: Dialect) -> Change | None:
    b, a = norm(before), norm(after)
    if b == a:
        return None
    reason = dialect.recreate_reason(b, a)
    if reason is not None:
        return Recreated("table", key, before, after, reason, copy_rows=dialect.can_copy_rows(b, a))
    altered = TableAltered(
        key=key, before=before, after=after,
        columns=tuple(_column_changes(b, a, before, after, dialect)),
        settings_changed=b.settings != a.settings,
        settings_before={k: v for k, v in b.settings.items() if k not in dialect.readonly_settings},
        settings_after={k: v for k, v in a.settings.items() if k not in dialect.readonly_settings},
        ttl_changed=b.ttl != a.ttl,
        indexes_added=tuple(i for i in after.indexes if _index(a, i.name) != _index(b, i.name)),
        indexes_dropped=tuple(i for i in before.indexes if _index(b, i.name) != _index(a, i.name)),
        projections_added=tuple(p for p in after.projections if _projection(a, p.name) != _projection(b, p.name)),
        projections_dropped=tuple(p for p in before.projections
                                  if _projection(b, p.name) != _projection(a, p.name)),
        sample_by_changed=b.sample_by != a.sample_by,
        constraints_added=tuple(c for c in after.constraints if _constraint(a, c.name) != _constraint(b, c.name)),
        constraints_dropped=tuple(c for c in before.constraints
                                  if _constraint(b, c.name) != _constraint(a, c.name)),
    )
    return None if altered.is_empty() else altered  # e.g. only the column order differs: left as it is


def _column_changes(b: Table, a: Table, before: Table, after: Table, dialect: Dialect) -> Iterable[ColumnChange]:
    """Removed columns first (current order), then added and modified ones in target order."""
    originals_before = {c.name: c for c in before.columns}
    originals_after = {c.name: c for c in after.columns}
    normalized_before = {c.name: c for c in b.columns}
    target_names = {c.name for c in a.columns}
    for column in b.columns:
        if column.name not in target_names:
            yield ColumnRemoved(originals_before[column.name])
    previous: str | None = None
    for column in a.columns:
        old = normalized_before.get(column.name)
        if old is None:
            yield ColumnAdded(originals_after[column.name], previous)
        elif old != column and not dialect.convertible(old.data_type, column.data_type):
            # the database cannot convert this type in place: the column is dropped and added again
            yield ColumnRemoved(originals_before[column.name])
            yield ColumnAdded(originals_after[column.name], previous)
        elif old != column:
            yield ColumnModified(originals_before[column.name], originals_after[column.name])
        previous = column.name


def _index(table: Table, name: str) -> object:
    return next((i for i in table.indexes if i.name == name), None)


def _constraint(table: Table, name: str) -> object:
    return next((c for c in table.constraints if c.name == name), None)


def _projection(table: Table, name: str) -> object:
    return next((p for p in table.projections if p.name == name), None)
