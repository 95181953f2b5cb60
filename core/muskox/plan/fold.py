"""The fold: applying operations to an :class:`InfraMap` in memory, with strict preconditions.

Delta mode folds every migration file from an empty map to know the expected state (spec 3.1); the planner's
property tests fold a plan over its starting state and expect the target. Preconditions mirror what the
database would refuse: creating what exists, changing what does not.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.infra_map import InfraMap, table_id, view_id
from muskox.model.operations import (
    AddTableColumn,
    AddTableConstraint,
    AddTableIndex,
    AddTableProjection,
    CreateDictionary,
    CreateMaterializedView,
    CreateSqlResource,
    CreateTable,
    CreateView,
    DropDictionary,
    DropMaterializedView,
    DropSqlResource,
    DropTable,
    DropTableColumn,
    DropTableConstraint,
    DropTableIndex,
    DropTableProjection,
    DropView,
    ModifySampleBy,
    ModifyTableColumn,
    ModifyTableSettings,
    ModifyTableTtl,
    Operation,
    RawSql,
    RecreateTableWithCopy,
    RemoveSampleBy,
    RenameTableColumn,
    ReplaceDictionary,
    TableOperation,
)
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Table
from muskox.model.topic_operations import CreateTopic, DropTopic, IncreaseTopicPartitions, ModifyTopicConfig


class FoldError(MuskoxError):
    """An operation does not apply to the state it meets (e.g. dropping a column that does not exist)."""

    exit_code = ExitCode.PLAN_INVALID


def fold(infra: InfraMap, operations: Iterable[Operation]) -> InfraMap:
    """``infra`` after every operation, in order."""
    for operation in operations:
        infra = apply(infra, operation)
    return infra


def _find(infra: InfraMap, database: str | None, name: str) -> tuple[str, Table]:
    db = database or infra.default_database
    for key, table in infra.tables.items():
        if (table.database or infra.default_database) == db and table.name == name:
            return key, table
    raise FoldError(f"table '{db}.{name}' does not exist", "regenerate the plan against the current state")


def _find_topic(infra: InfraMap, name: str) -> tuple[str, Topic]:
    for key, topic in infra.topics.items():
        if topic.name == name:
            return key, topic
    raise FoldError(f"topic '{name}' does not exist", "regenerate the plan against the current state")


def _replace(infra: InfraMap, key: str, table: Table) -> InfraMap:
    return attrs.evolve(infra, tables={**infra.tables, key: table})


def _columns(table: Table, name: str) -> int:
    for index, column in enumerate(table.columns):
        if column.name == name:
            return index
    raise FoldError(f"column '{name}' does not exist in table '{table.name}'", "regenerate the plan")


def apply(infra: InfraMap, operation: Operation) -> InfraMap:
    """``infra`` after one operation (``RawSql`` does not change the schema the fold tracks)."""
    match operation:
        case CreateTable(table=table):
            key = table_id(table, infra.default_database)
            if key in infra.tables:
                raise FoldError(f"table '{table.name}' already exists", "remove the duplicate CreateTable")
            return _replace(infra, key, table)
        case DropTable():
            key, _ = _find(infra, operation.database, operation.table)
            return attrs.evolve(infra, tables={k: t for k, t in infra.tables.items() if k != key})
        case CreateView(name=name):
            key = view_id(operation.database, name, infra.default_database)
            if key in infra.views:
                raise FoldError(f"view '{name}' already exists", "remove the duplicate CreateView")
            view = View(name=name, select_sql=operation.select_sql, database=operation.database)
            return attrs.evolve(infra, views={**infra.views, key: view})
        case DropView(name=name):
            key = view_id(operation.database, name, infra.default_database)
            if key not in infra.views:
                raise FoldError(f"view '{name}' does not exist", "remove the DropView")
            return attrs.evolve(infra, views={k: v for k, v in infra.views.items() if k != key})
        case CreateMaterializedView(name=name):
            key = view_id(operation.database, name, infra.default_database)
            if key in infra.materialized_views:
                raise FoldError(f"materialized view '{name}' already exists", "remove the duplicate")
            mv = MaterializedView(name=name, select_sql=operation.select_sql, target_table=operation.target_table,
                                  database=operation.database, target_database=operation.target_database)
            return attrs.evolve(infra, materialized_views={**infra.materialized_views, key: mv})
        case DropMaterializedView(name=name):
            key = view_id(operation.database, name, infra.default_database)
            if key not in infra.materialized_views:
                raise FoldError(f"materialized view '{name}' does not exist", "remove the DropMaterializedView")
            return attrs.evolve(infra, materialized_views={
                k: v for k, v in infra.materialized_views.items() if k != key})
        case RawSql():
            return infra
        case CreateSqlResource() | DropSqlResource():
            from muskox.plan.fold_sql_resources import fold_sql_resource

            return fold_sql_resource(infra, operation)
        case CreateDictionary() | ReplaceDictionary() | DropDictionary():
            from muskox.plan.fold_dictionaries import fold_dictionary

            return fold_dictionary(infra, operation)
        case RecreateTableWithCopy(before=before, table=table):
            key, _ = _find(infra, before.database, before.name)
            rest = {k: t for k, t in infra.tables.items() if k != key}
            return attrs.evolve(infra, tables={**rest, table_id(table, infra.default_database): table})
        case CreateTopic(topic=topic):
            if any(t.name == topic.name for t in infra.topics.values()):
                raise FoldError(f"topic '{topic.name}' already exists", "remove the duplicate CreateTopic")
            return attrs.evolve(infra, topics={**infra.topics, topic.name: topic})
        case DropTopic():
            key, _ = _find_topic(infra, operation.topic)
            return attrs.evolve(infra, topics={k: t for k, t in infra.topics.items() if k != key})
        case ModifyTopicConfig(after_configs=after):
            key, topic = _find_topic(infra, operation.topic)
            return attrs.evolve(infra, topics={**infra.topics, key: topic.with_managed_configs(after)})
        case IncreaseTopicPartitions(after_partitions=after):
            key, topic = _find_topic(infra, operation.topic)
            return attrs.evolve(infra, topics={**infra.topics, key: attrs.evolve(topic, partitions=after)})
        case TableOperation():
            key, table = _find(infra, operation.database, operation.table)
            return _replace(infra, key, _alter(table, operation))
    if operation.backend not in ("olap", "stream"):
        return _fold_extension(infra, operation)
    raise FoldError(f"muskox cannot fold operation {type(operation).__name__}", "report this as a bug")


def _fold_extension(infra: InfraMap, operation: Operation) -> InfraMap:
    """An operation of a plugin's kind, folded by that kind's resource backend."""
    from muskox.plugin.kinds import active_kinds

    kind: str = operation.backend
    backend = active_kinds().get(kind)
    if backend is None:
        raise FoldError(f"muskox cannot fold operation {type(operation).__name__}: no installed plugin plans "
                        f"the kind '{kind}' from declarations",
                        f"install the plugin that provides the '{kind}' backend")
    try:
        objects = dict(backend.fold(dict(infra.extensions.get(kind, {})), operation))
    except (KeyError, ValueError) as exc:
        raise FoldError(f"{operation.describe()}: {exc}", "regenerate the plan") from None
    extensions = {k: v for k, v in infra.extensions.items() if k != kind}
    if objects:
        extensions[kind] = {name: dict(spec) for name, spec in sorted(objects.items())}
    return attrs.evolve(infra, extensions=dict(sorted(extensions.items())))


def _alter(table: Table, operation: TableOperation) -> Table:
    columns = list(table.columns)
    match operation:
        case AddTableColumn(column=column, after_column=after):
            if table.column(column.name) is not None:
                raise FoldError(f"column '{column.name}' already exists in table '{table.name}'", "regenerate")
            position = 0 if after is None else _columns(table, after) + 1
            columns.insert(position, column)
            return attrs.evolve(table, columns=tuple(columns))
        case DropTableColumn(column_name=name):
            del columns[_columns(table, name)]
            return attrs.evolve(table, columns=tuple(columns))
        case ModifyTableColumn(before_column=before, after_column=after):
            index = _columns(table, before.name)
            columns[index] = after
            return attrs.evolve(table, columns=tuple(columns))
        case RenameTableColumn(before_column_name=old, after_column_name=new):
            index = _columns(table, old)
            if table.column(new) is not None:
                raise FoldError(f"column '{new}' already exists in table '{table.name}'", "regenerate")
            columns[index] = attrs.evolve(columns[index], name=new)
            return attrs.evolve(table, columns=tuple(columns))
        case ModifyTableSettings(before_settings=before, after_settings=after):
            # the operation names only the settings it changes: the others stay as they are
            kept = {k: v for k, v in table.settings.items() if k not in (before or {})}
            return attrs.evolve(table, settings={**kept, **(after or {})})
        case ModifyTableTtl(after=after):
            return attrs.evolve(table, ttl=after)
        case AddTableIndex(index=index):
            return attrs.evolve(table, indexes=(*table.indexes, index))
        case DropTableIndex(index_name=name):
            if not any(i.name == name for i in table.indexes):
                raise FoldError(f"index '{name}' does not exist in table '{table.name}'", "regenerate")
            return attrs.evolve(table, indexes=tuple(i for i in table.indexes if i.name != name))
        case AddTableProjection(projection=projection):
            return attrs.evolve(table, projections=(*table.projections, projection))
        case DropTableProjection(projection_name=name):
            return attrs.evolve(table, projections=tuple(p for p in table.projections if p.name != name))
        case ModifySampleBy(expression=expression):
            return attrs.evolve(table, sample_by=expression)
        case RemoveSampleBy():
            return attrs.evolve(table, sample_by=None)
        case AddTableConstraint(constraint=constraint):
            if any(c.name == constraint.name for c in table.constraints):
                raise FoldError(f"constraint '{constraint.name}' already exists in table '{table.name}'", "regenerate")
            return attrs.evolve(table, constraints=(*table.constraints, constraint))
        case DropTableConstraint(constraint_name=name):
            if not any(c.name == name for c in table.constraints):
                raise FoldError(f"constraint '{name}' does not exist in table '{table.name}'", "regenerate")
            return attrs.evolve(table, constraints=tuple(c for c in table.constraints if c.name != name))
    raise FoldError(f"muskox cannot fold operation {type(operation).__name__}", "report this as a bug")


