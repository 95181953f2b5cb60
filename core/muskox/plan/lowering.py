"""Lowering: semantic changes → plan operations, split into teardown and setup (spec 1, step 6-7).

Topics lower to the topic operations of :mod:`muskox.model.topic_operations` (a partition decrease is a planning
error: Kafka cannot remove partitions).

Teardown (drops) runs before setup (creates and alters); each list is ordered by dependency in
:mod:`muskox.plan.ordering`. Values written into operations are the original ones from the code or the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.dictionary import Dictionary
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
    RecreateTableWithCopy,
    RemoveSampleBy,
    RenameTableColumn,
    ReplaceDictionary,
)
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.sql_resource import SqlResource
from muskox.model.table import Table
from muskox.model.topic_operations import CreateTopic, DropTopic, IncreaseTopicPartitions, ModifyTopicConfig
from muskox.plan.changes import (
    Added,
    Change,
    ColumnAdded,
    ColumnModified,
    ColumnRemoved,
    ColumnRenamed,
    Recreated,
    Removed,
    Resource,
    TableAltered,
    TopicAltered,
)
from muskox.plan.references import order_table_operations
from muskox.plugin.dialect import Dialect


class PartitionDecrease(MuskoxError):
    """The code asks for fewer partitions than a topic has: Kafka cannot remove partitions."""

    exit_code = ExitCode.PLAN_INVALID


@attrs.frozen
class Lowered:
    """Operations of one or more changes: drops first (``teardown``), then the rest (``setup``)."""

    teardown: tuple[Operation, ...] = ()
    setup: tuple[Operation, ...] = ()

    def __add__(self, other: Lowered) -> Lowered:
        return Lowered(self.teardown + other.teardown, self.setup + other.setup)


def lower(changes: Iterable[Change], dialect: Dialect | None = None) -> Lowered:
    """All operations for ``changes``, in change order within teardown and setup; with ``dialect``, the
    operations of each altered table are ordered by the columns their expressions reference
    (:mod:`muskox.plan.references`)."""
    result = Lowered()
    for change in changes:
        lowered = lower_change(change)
        if dialect is not None and isinstance(change, TableAltered):
            teardown, setup = order_table_operations(lowered.teardown, lowered.setup, change.before,
                                                     change.after, dialect)
            lowered = Lowered(tuple(teardown), tuple(setup))
        result = result + lowered
    return result


def create(resource: Resource) -> Operation:
    """The operation creating a table, view, materialized view or topic."""
    match resource:
        case Table():
            return CreateTable(table=resource)
        case Topic():
            return CreateTopic(topic=resource)
        case Dictionary():
            return CreateDictionary(dictionary=resource)
        case SqlResource():
            return CreateSqlResource(resource=resource)
        case View():
            return CreateView(name=resource.name, select_sql=resource.select_sql, database=resource.database)
        case MaterializedView():
            return CreateMaterializedView(name=resource.name, select_sql=resource.select_sql,
                                          target_table=resource.target_table, database=resource.database,
                                          target_database=resource.target_database)
    raise TypeError(f"no create operation for {type(resource).__name__}")


def drop(resource: Resource) -> Operation:
    """The operation dropping a table, view, materialized view or topic."""
    match resource:
        case Table():
            return DropTable(table=resource.name, database=resource.database, cluster_name=resource.cluster)
        case Topic():
            return DropTopic(topic=resource.name)
        case Dictionary():
            return DropDictionary(name=resource.name, database=resource.database, cluster_name=resource.cluster)
        case SqlResource():
            return DropSqlResource(resource=resource)
        case View():
            return DropView(name=resource.name, database=resource.database)
        case MaterializedView():
            return DropMaterializedView(name=resource.name, database=resource.database)
    raise TypeError(f"no drop operation for {type(resource).__name__}")


def lower_change(change: Change) -> Lowered:
    """The operations of one change."""
    match change:
        case Added(after=after):
            return Lowered(setup=(create(after),))
        case Removed(before=before):
            return Lowered(teardown=(drop(before),))
        case Recreated(before=Dictionary() as before, after=Dictionary() as after):
            return Lowered(setup=(ReplaceDictionary(before=before, after=after),))
        case Recreated(before=Table() as before, after=Table() as after, reason=reason, copy_rows=True):
            return Lowered(setup=(RecreateTableWithCopy(before=before, table=after, reason=reason),))
        case Recreated(before=before, after=after):
            return Lowered(teardown=(drop(before),), setup=(create(after),))
        case TableAltered():
            return _lower_alter(change)
        case TopicAltered():
            return Lowered(setup=lower_topic_change(change))
    raise TypeError(f"unknown change {change!r}")


def lower_topic_change(change: TopicAltered) -> tuple[Operation, ...]:
    """More partitions first (the step a broker may refuse), then the configuration.

    Raises :class:`PartitionDecrease` when the target has fewer partitions: Kafka cannot remove any.
    """
    before, after = change.before, change.after
    if after.partitions < before.partitions:
        raise PartitionDecrease(
            f"topic '{after.name}': Kafka cannot reduce partitions from {before.partitions} to {after.partitions}: "
            f"recreate the topic under a new version",
            f"give the stream a new version (StreamConfig(version=...)), which creates a new topic, or set "
            f"parallelism back to {before.partitions}",
        )
    operations: list[Operation] = []
    if after.partitions > before.partitions:
        operations.append(IncreaseTopicPartitions(topic=after.name, before_partitions=before.partitions,
                                                  after_partitions=after.partitions))
    configs_before, configs_after = before.managed_configs(), after.managed_configs()
    if configs_before != configs_after:
        operations.append(ModifyTopicConfig(topic=after.name, before_configs=configs_before,
                                            after_configs=configs_after))
    return tuple(operations)


def _lower_alter(change: TableAltered) -> Lowered:
    after = change.after
    common: dict[str, Any] = {"table": after.name, "database": after.database, "cluster_name": after.cluster}
    teardown: list[Operation] = []
    teardown += [DropTableIndex(index_name=i.name, **common) for i in change.indexes_dropped]
    teardown += [DropTableProjection(projection_name=p.name, **common) for p in change.projections_dropped]
    teardown += [DropTableConstraint(constraint_name=c.name, **common) for c in change.constraints_dropped]
    teardown += [DropTableColumn(column_name=c.column.name, **common)
                 for c in change.columns if isinstance(c, ColumnRemoved)]
    setup: list[Operation] = []
    for column_change in change.columns:
        if isinstance(column_change, ColumnRenamed):
            setup.append(RenameTableColumn(before_column_name=column_change.before.name,
                                           after_column_name=column_change.after.name, **common))
            if column_change.before != attrs.evolve(column_change.after, name=column_change.before.name):
                setup.append(ModifyTableColumn(
                    before_column=attrs.evolve(column_change.before, name=column_change.after.name),
                    after_column=column_change.after, **common))
    if change.ttl_changed:
        setup.append(ModifyTableTtl(before=change.before.ttl, after=after.ttl, **common))
    if change.settings_changed:
        setup.append(ModifyTableSettings(before_settings=dict(change.settings_before) or None,
                                         after_settings=dict(change.settings_after) or None, **common))
    for column_change in change.columns:
        if isinstance(column_change, ColumnModified):
            setup.append(ModifyTableColumn(before_column=column_change.before, after_column=column_change.after,
                                           **common))
        elif isinstance(column_change, ColumnAdded):
            setup.append(AddTableColumn(column=column_change.column, after_column=column_change.after, **common))
    setup += [AddTableIndex(index=i, **common) for i in change.indexes_added]
    setup += [AddTableProjection(projection=p, **common) for p in change.projections_added]
    setup += [AddTableConstraint(constraint=c, **common) for c in change.constraints_added]
    if change.sample_by_changed:
        setup.append(ModifySampleBy(expression=after.sample_by, **common) if after.sample_by
                     else RemoveSampleBy(**common))
    return Lowered(tuple(teardown), tuple(setup))
