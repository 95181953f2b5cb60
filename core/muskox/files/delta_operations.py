"""Deltas and plan operations, both ways, and the fold of migration files (spec 3.1).

* :func:`deltas_from_operations` turns a plan's ordered operations into deltas, folding them over the state
  they start from to fill in what deltas carry and operations do not: the whole table of a ``DropTable``, the
  ``table_id`` of table changes, the whole view of a ``DropView``. A ``DropTable`` followed later by a
  ``CreateTable`` of the same table is one ``RecreateTable`` (at the create's place); a ``RawSql`` written by a
  version bump ("Backfill new from old") is a ``BackfillTable``.
* :func:`lower_delta` is the reverse (Moose's ``to_atomic_operations``), from the folded state at that point.
* :func:`fold_migration` applies a file's deltas to a state, through :mod:`muskox.plan.fold` (strict preconditions:
  an error names the file and the delta).

Round trip: lowering the deltas of a plan gives the plan's operations, except that a recreated table's
``DropTable`` moves to just before its ``CreateTable`` (the table exists a little longer; nothing in between
uses it), and ``database`` is written as None for objects in the default database (the same meaning).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from muskox.files import delta as d
from muskox.model import operations as ops
from muskox.model import topic_operations as topic_ops
from muskox.model.infra_map import InfraMap, moose_table_key, view_id
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Table
from muskox.plan.fold import FoldError, apply

_BACKFILL = re.compile(r"^Backfill (\S+) from (\S+)$")


class DeltaConversionError(FoldError):
    """An operation has no delta form (an operation type delta files cannot express)."""


# -- looking things up in a state ---------------------------------------------------------------------------


def find_table(infra: InfraMap, database: str | None, name: str) -> tuple[str, Table] | None:
    """The key and table called ``name`` in ``database`` (None: the default database), if any."""
    wanted = database or infra.default_database
    for key, table in infra.tables.items():
        if (table.database or infra.default_database) == wanted and table.name == name:
            return key, table
    return None


def _table(infra: InfraMap, database: str | None, name: str) -> tuple[str, Table]:
    found = find_table(infra, database, name)
    if found is None:
        raise FoldError(f"table '{database or infra.default_database}.{name}' does not exist",
                        "regenerate the migration against the current state")
    return found


def delta_table_key(infra: InfraMap, key: str) -> str:
    """The ``table_id`` a delta file gives the table ``infra.tables[key]``: Moose's key, unless another table of
    ``infra`` has the same Moose key (then muskox's own key, which is unique; see :func:`file_keys`)."""
    default = infra.default_database
    moose_key = moose_table_key(infra.tables[key], default)
    clashes = sum(1 for table in infra.tables.values() if moose_table_key(table, default) == moose_key)
    return moose_key if clashes == 1 else key


def _delta_table(infra: InfraMap, table_key: str) -> Table:
    """The table a delta's ``table_id`` names: muskox's own key, or Moose's when exactly one table has it."""
    if table_key in infra.tables:
        return infra.tables[table_key]
    default = infra.default_database
    found = [table for table in infra.tables.values() if moose_table_key(table, default) == table_key]
    if len(found) == 1:
        return found[0]
    if not found:
        raise FoldError(f"table '{table_key}' does not exist", "regenerate the migration")
    names = " and ".join(f"'{table.database or default}.{table.name}'" for table in found)
    raise FoldError(f"table_id '{table_key}' names both {names}",
                    "write the table_id as muskox writes it for such tables (regenerate the migration)")


def _topic(infra: InfraMap, name: str) -> tuple[str, Topic]:
    for key, topic in infra.topics.items():
        if topic.name == name:
            return key, topic
    raise FoldError(f"topic '{name}' does not exist", "regenerate the migration against the current state")


def _local(database: str | None, infra: InfraMap) -> str | None:
    return None if database in (None, infra.default_database) else database


# -- operations → deltas ------------------------------------------------------------------------------------


def _physical(infra: InfraMap, database: str | None, name: str) -> tuple[str, str]:
    return (database or infra.default_database, name)


def deltas_from_operations(operations: Sequence[ops.Operation], current: InfraMap, *,
                           target: InfraMap | None = None, approved_at: str | None = None,
                           reasons: Mapping[str, str] | None = None) -> tuple[d.Delta, ...]:
    """The deltas of ``operations`` planned from ``current``.

    :param target: the code's state; supplies the whole definitions of created views and materialized views.
    :param approved_at: when destructive deltas were approved (their ``policy``).
    :param reasons: the planner's description of each destructive change by table key (the ``policy``'s
        description, e.g. ``DROP + RECREATE TABLE events (ORDER BY changed)``).
    """
    reasons = reasons or {}
    recreated: dict[int, int] = {}  # index of a DropTable → index of the CreateTable of the same table
    for index, operation in enumerate(operations):
        if isinstance(operation, ops.DropTable):
            drop_key = _physical(current, operation.database, operation.table)
            for later in range(index + 1, len(operations)):
                other = operations[later]
                if isinstance(other, ops.CreateTable) and later not in recreated.values() and _physical(
                        current, other.table.database, other.table.name) == drop_key:
                    recreated[index] = later
                    break
                if isinstance(other, ops.DropTable) and _physical(current, other.database, other.table) == drop_key:
                    break
    dropped_before: dict[int, tuple[str, Table]] = {}
    deltas: list[d.Delta] = []
    state = current
    for index, operation in enumerate(operations):
        if isinstance(operation, ops.DropTable) and index in recreated:
            dropped_before[recreated[index]] = _table(state, operation.database, operation.table)
        elif index in dropped_before:
            assert isinstance(operation, ops.CreateTable)
            key, before = dropped_before[index]
            reason = reasons.get(key) or f"DROP + RECREATE TABLE {_qualified(before)}"
            deltas.append(d.RecreateTable(before=before, after=operation.table, policy=_policy(reason, approved_at)))
        else:
            deltas.append(delta_of(operation, state, target=target, approved_at=approved_at, reasons=reasons))
        state = apply(state, operation)
    return tuple(deltas)


def _qualified(resource: Table | View | MaterializedView) -> str:
    return f"{resource.database}.{resource.name}" if resource.database else resource.name


def _policy(description: str, approved_at: str | None) -> d.Policy:
    return d.Policy(description=description, approved_at=approved_at)


def delta_of(operation: ops.Operation, state: InfraMap, *, target: InfraMap | None = None,
             approved_at: str | None = None, reasons: Mapping[str, str] | None = None) -> d.Delta:
    """The delta of one operation applied to ``state`` (see :func:`deltas_from_operations`)."""
    match operation:
        case ops.CreateTable(table=table):
            return d.CreateTable(table=table)
        case ops.DropTable():
            key, table = _table(state, operation.database, operation.table)
            reason = (reasons or {}).get(key) or f"DROP TABLE {_qualified(table)}"
            return d.DropTable(table=table, policy=_policy(reason, approved_at))
        case ops.CreateView():
            return d.CreateView(view=_created_view(operation, target))
        case ops.DropView(name=name):
            view = state.views.get(view_id(operation.database, name, state.default_database))
            if view is None:
                raise FoldError(f"view '{name}' does not exist", "regenerate the migration")
            return d.DropView(view=view)
        case ops.CreateMaterializedView():
            return d.CreateMaterializedView(mv=_created_mv(operation, target))
        case ops.DropMaterializedView(name=name):
            mv = state.materialized_views.get(view_id(operation.database, name, state.default_database))
            if mv is None:
                raise FoldError(f"materialized view '{name}' does not exist", "regenerate the migration")
            return d.DropMaterializedView(mv=mv)
        case ops.RawSql(sql=sql, description=description):
            return _raw_sql(sql, description, state)
        case ops.RecreateTableWithCopy(before=before, table=after):
            key, _ = _table(state, before.database, before.name)
            description = (reasons or {}).get(key) or f"RECREATE TABLE {_qualified(after)} WITH A COPY OF ITS ROWS"
            return d.RecreateTableWithCopy(before=before, after=after,
                                           policy=_policy(description, approved_at))
        case ops.CreateSqlResource(resource=resource):
            return d.CreateSqlResource(resource=resource)
        case ops.DropSqlResource(resource=resource):
            return d.DropSqlResource(resource=resource, policy=_policy(
                (reasons or {}).get(resource.name) or f"TEARDOWN SQL RESOURCE {resource.name}", approved_at))
        case ops.CreateDictionary(dictionary=dictionary):
            return d.CreateDictionary(dictionary=dictionary)
        case ops.ReplaceDictionary(before=before_dictionary, after=after_dictionary):
            return d.ReplaceDictionary(before=before_dictionary, after=after_dictionary)
        case ops.DropDictionary(name=name):
            key = view_id(operation.database, name, state.default_database)
            dropped = state.dictionaries.get(key)
            if dropped is None:
                raise FoldError(f"dictionary '{name}' does not exist", "regenerate the migration")
            return d.DropDictionary(dictionary=dropped, policy=_policy(
                (reasons or {}).get(key) or f"DROP DICTIONARY {name}", approved_at))
        case topic_ops.CreateTopic(topic=topic):
            return d.CreateTopic(topic=topic)
        case topic_ops.DropTopic(topic=name):
            key, topic = _topic(state, name)
            return d.DropTopic(topic=topic, policy=_policy((reasons or {}).get(key) or f"DROP TOPIC {name}",
                                                          approved_at))
        case topic_ops.ModifyTopicConfig(topic=name, before_configs=before, after_configs=after):
            return d.ModifyTopicConfig(topic_name=name, before=before, after=after)
        case topic_ops.IncreaseTopicPartitions(topic=name, before_partitions=before, after_partitions=after):
            return d.IncreaseTopicPartitions(topic_name=name, before=before, after=after)
        case ops.TableOperation():
            key = _table(state, operation.database, operation.table)[0]
            return _table_delta(operation, delta_table_key(state, key))
    raise DeltaConversionError(f"operation {type(operation).__name__} cannot be written to a migration file",
                               "use snapshot mode (features.migrate_with_deltas = false) for this change")


def _table_delta(operation: ops.TableOperation, key: str) -> d.Delta:
    match operation:
        case ops.AddTableColumn(column=column, after_column=after):
            return d.AddTableColumn(table_id=key, column=column, after_column=after)
        case ops.DropTableColumn(column_name=name):
            return d.DropTableColumn(table_id=key, column_name=name)
        case ops.ModifyTableColumn(before_column=before, after_column=after):
            return d.ModifyTableColumn(table_id=key, before_column=before, after_column=after)
        case ops.RenameTableColumn(before_column_name=before, after_column_name=after):
            return d.RenameTableColumn(table_id=key, before_name=before, after_name=after)
        case ops.ModifyTableSettings(before_settings=before, after_settings=after):
            return d.ModifyTableSettings(table_id=key, before=before, after=after)
        case ops.ModifyTableTtl(before=before, after=after):
            return d.ModifyTableTtl(table_id=key, before=before, after=after)
        case ops.AddTableIndex(index=index):
            return d.AddTableIndex(table_id=key, index=index)
        case ops.DropTableIndex(index_name=name):
            return d.DropTableIndex(table_id=key, index_name=name)
        case ops.AddTableProjection(projection=projection):
            return d.AddTableProjection(table_id=key, projection=projection)
        case ops.DropTableProjection(projection_name=name):
            return d.DropTableProjection(table_id=key, projection_name=name)
        case ops.ModifySampleBy(expression=expression):
            return d.ModifySampleBy(table_id=key, expression=expression)
        case ops.RemoveSampleBy():
            return d.RemoveSampleBy(table_id=key)
        case ops.AddTableConstraint(constraint=constraint):
            return d.AddTableConstraint(table_id=key, constraint=constraint)
        case ops.DropTableConstraint(constraint_name=name):
            return d.DropTableConstraint(table_id=key, constraint_name=name)
    raise DeltaConversionError(f"operation {type(operation).__name__} cannot be written to a migration file",
                               "use snapshot mode (features.migrate_with_deltas = false) for this change")


def _created_view(operation: ops.CreateView, target: InfraMap | None) -> View:
    view = View(name=operation.name, select_sql=operation.select_sql, database=operation.database)
    declared = None if target is None else target.views.get(
        view_id(operation.database, operation.name, target.default_database))
    if declared is not None and (declared.select_sql, declared.database) == (view.select_sql, view.database):
        return declared
    return view


def _created_mv(operation: ops.CreateMaterializedView, target: InfraMap | None) -> MaterializedView:
    mv = MaterializedView(name=operation.name, select_sql=operation.select_sql, target_table=operation.target_table,
                          database=operation.database, target_database=operation.target_database)
    declared = None if target is None else target.materialized_views.get(
        view_id(operation.database, operation.name, target.default_database))
    fields = ("select_sql", "target_table", "database", "target_database")
    if declared is not None and all(getattr(declared, f) == getattr(mv, f) for f in fields):
        return declared
    return mv


def _raw_sql(sql: tuple[str, ...], description: str, state: InfraMap) -> d.Delta:
    match = _BACKFILL.match(description)
    if match is not None and len(sql) == 1:
        target_name, source_name = match.groups()
        found = find_table(state, None, target_name)
        columns = tuple(c.name for c in found[1].columns if c.materialized is None and c.alias is None) \
            if found else ()
        return d.BackfillTable(source_table=source_name, target_table=target_name, columns=columns, sql=sql[0])
    return d.RawSql(sql=sql, description=description)


# -- deltas → operations ------------------------------------------------------------------------------------


def _drop_table(table: Table, infra: InfraMap) -> ops.DropTable:
    return ops.DropTable(table=table.name, database=_local(table.database, infra), cluster_name=table.cluster)


def lower_delta(delta: d.Delta, infra: InfraMap) -> list[ops.Operation]:
    """The operations of ``delta`` applied to ``infra`` (the state folded up to it)."""
    match delta:
        case d.CreateTable(table=table):
            return [ops.CreateTable(table=table)]
        case d.DropTable(table=table):
            return [_drop_table(table, infra)]
        case d.RecreateTableWithCopy(before=before, after=after):
            return [ops.RecreateTableWithCopy(before=before, table=after)]
        case d.RecreateTable(before=before, after=after):
            return [_drop_table(before, infra), ops.CreateTable(table=after)]
        case d.CreateView(view=view):
            return [ops.CreateView(name=view.name, select_sql=view.select_sql,
                                   database=_local(view.database, infra))]
        case d.DropView(view=view):
            return [ops.DropView(name=view.name, database=_local(view.database, infra))]
        case d.CreateMaterializedView(mv=mv):
            return [ops.CreateMaterializedView(name=mv.name, select_sql=mv.select_sql, target_table=mv.target_table,
                                               database=_local(mv.database, infra),
                                               target_database=_local(mv.target_database, infra))]
        case d.DropMaterializedView(mv=mv):
            return [ops.DropMaterializedView(name=mv.name, database=_local(mv.database, infra))]
        case d.BackfillTable(source_table=source, target_table=target, sql=sql):
            return [ops.RawSql(sql=(sql,), description=f"Backfill {target} from {source}")]
        case d.RawSql(sql=sql, description=description):
            return [ops.RawSql(sql=sql, description=description)]
        case d.CreateSqlResource(resource=resource):
            return [ops.CreateSqlResource(resource=resource)]
        case d.DropSqlResource(resource=resource):
            return [ops.DropSqlResource(resource=resource)]
        case d.CreateDictionary(dictionary=dictionary):
            return [ops.CreateDictionary(dictionary=dictionary)]
        case d.ReplaceDictionary(before=before_dictionary, after=after_dictionary):
            return [ops.ReplaceDictionary(before=before_dictionary, after=after_dictionary)]
        case d.DropDictionary(dictionary=dictionary):
            return [ops.DropDictionary(name=dictionary.name, database=dictionary.database,
                                       cluster_name=dictionary.cluster)]
        case d.CreateTopic(topic=topic):
            return [topic_ops.CreateTopic(topic=topic)]
        case d.DropTopic(topic=topic):
            return [topic_ops.DropTopic(topic=topic.name)]
        case d.ModifyTopicConfig(topic_name=name, before=before_configs, after=after_configs):
            return [topic_ops.ModifyTopicConfig(topic=name, before_configs=before_configs,
                                                after_configs=after_configs)]
        case d.IncreaseTopicPartitions(topic_name=name, before=before_count, after=after_count):
            return [topic_ops.IncreaseTopicPartitions(topic=name, before_partitions=before_count,
                                                      after_partitions=after_count)]
        case d.TableDelta(table_id=key):
            return [_lower_table_delta(delta, _delta_table(infra, key), infra)]
    raise FoldError(f"muskox cannot lower delta {delta.TYPE}", "report this as a bug")


def _lower_table_delta(delta: d.TableDelta, table: Table, infra: InfraMap) -> ops.Operation:
    operation = _bare_table_operation(delta)
    return attrs.evolve(operation, table=table.name, database=_local(table.database, infra),
                        cluster_name=table.cluster)


def _bare_table_operation(delta: d.TableDelta) -> ops.TableOperation:
    """The operation of ``delta`` with an empty table name (filled in by the caller)."""
    match delta:
        case d.AddTableColumn(column=column, after_column=after):
            return ops.AddTableColumn(table="", column=column, after_column=after)
        case d.DropTableColumn(column_name=column_name):
            return ops.DropTableColumn(table="", column_name=column_name)
        case d.ModifyTableColumn(before_column=before, after_column=after):
            return ops.ModifyTableColumn(table="", before_column=before, after_column=after)
        case d.RenameTableColumn(before_name=before_name, after_name=after_name):
            return ops.RenameTableColumn(table="", before_column_name=before_name, after_column_name=after_name)
        case d.ModifyTableSettings(before=before_settings, after=after_settings):
            return ops.ModifyTableSettings(table="", before_settings=before_settings, after_settings=after_settings)
        case d.ModifyTableTtl(before=before_ttl, after=after_ttl):
            return ops.ModifyTableTtl(table="", before=before_ttl, after=after_ttl)
        case d.AddTableIndex(index=index):
            return ops.AddTableIndex(table="", index=index)
        case d.DropTableIndex(index_name=index_name):
            return ops.DropTableIndex(table="", index_name=index_name)
        case d.AddTableProjection(projection=projection):
            return ops.AddTableProjection(table="", projection=projection)
        case d.DropTableProjection(projection_name=projection_name):
            return ops.DropTableProjection(table="", projection_name=projection_name)
        case d.ModifySampleBy(expression=expression):
            return ops.ModifySampleBy(table="", expression=expression)
        case d.RemoveSampleBy():
            return ops.RemoveSampleBy(table="")
        case d.AddTableConstraint(constraint=constraint):
            return ops.AddTableConstraint(table="", constraint=constraint)
        case d.DropTableConstraint(constraint_name=constraint_name):
            return ops.DropTableConstraint(table="", constraint_name=constraint_name)
    raise FoldError(f"muskox cannot lower delta {delta.TYPE}", "report this as a bug")


# -- the fold -----------------------------------------------------------------------------------------------


def fold_delta(infra: InfraMap, delta: d.Delta) -> InfraMap:
    """``infra`` after ``delta`` (created views and materialized views keep their whole definition)."""
    for operation in lower_delta(delta, infra):
        infra = apply(infra, operation)
    match delta:
        case d.CreateView(view=view):
            key = view_id(view.database, view.name, infra.default_database)
            return attrs.evolve(infra, views={**infra.views, key: view})
        case d.CreateMaterializedView(mv=mv):
            key = view_id(mv.database, mv.name, infra.default_database)
            return attrs.evolve(infra, materialized_views={**infra.materialized_views, key: mv})
    return infra


@attrs.frozen
class Lowered:
    """A file's operations, and for each the index of the delta it came from."""

    operations: tuple[ops.Operation, ...]
    delta_of: tuple[int, ...]


def lower_migration(migration: d.MigrationFile, infra: InfraMap) -> tuple[Lowered, InfraMap]:
    """The operations of a whole file applied to ``infra``, and the state after it."""
    operations: list[ops.Operation] = []
    origins: list[int] = []
    for index, delta in enumerate(migration.deltas):
        try:
            lowered = lower_delta(delta, infra)
            infra = fold_delta(infra, delta)
        except FoldError as exc:
            raise _in_file(exc, migration, index) from None
        operations += lowered
        origins += [index] * len(lowered)
    return Lowered(tuple(operations), tuple(origins)), infra


def pending_operations(unapplied: Sequence[d.MigrationFile], current: InfraMap) -> list[ops.Operation]:
    """The operations of the unapplied migration files, lowered in order from ``current`` (what a delta-mode run
    checks and rehearses before running any); a file that does not lower ends the list (the run reports it)."""
    operations: list[ops.Operation] = []
    state = current
    for migration in unapplied:
        try:
            lowered, state = lower_migration(migration, state)
        except FoldError:
            break
        operations += lowered.operations
    return operations


def fold_migration(infra: InfraMap, migration: d.MigrationFile) -> InfraMap:
    """``infra`` after every delta of ``migration``; a failed precondition names the file and the delta."""
    return lower_migration(migration, infra)[1]


def fold_migrations(infra: InfraMap, migrations: Iterable[d.MigrationFile]) -> InfraMap:
    """``infra`` after every file, in order."""
    for migration in migrations:
        infra = fold_migration(infra, migration)
    return infra


def _in_file(exc: FoldError, migration: d.MigrationFile, index: int) -> FoldError:
    delta = migration.deltas[index]
    return FoldError(f"{migration.file_name}: deltas[{index}] ({delta.TYPE}: {delta.summary()}): {exc.problem}",
                     exc.fix)


def lower_deltas(deltas: Iterable[d.Delta], infra: InfraMap) -> list[ops.Operation]:
    """The operations of ``deltas`` in order, each lowered from the state the ones before it leave."""
    result: list[ops.Operation] = []
    for delta in deltas:
        result += lower_delta(delta, infra)
        infra = fold_delta(infra, delta)
    return result
