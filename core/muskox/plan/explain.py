"""Explaining a plan to the person who reviews it: for each operation, what it touches, ``before → after`` for
every value it changes, what happens to the rows already stored (the data-impact table of Moose's docs), and
stable risk codes for what can lose data or fail part-way.

Risk codes never change meaning (scripts match on them, ``--json`` carries them):

====================================  ===========  ===========================================================
code                                  level        meaning
====================================  ===========  ===========================================================
``drop_table_data_loss``              destructive  a table and every row in it are deleted
``recreate_table_data_loss``          destructive  a table is dropped and created again: its rows are lost
``drop_column_data_loss``             destructive  a column's values are deleted
``drop_topic_data_loss``              destructive  a topic and every message in it are deleted
``type_change_may_fail``              risky        a type change that does not keep every value: it fails part-way
                                                   (or truncates) when a stored value does not convert
``mutation_rewrites_parts``           risky        the change rewrites stored data in the background (a type
                                                   change, a TTL change): cost grows with the table
``rename_column_breaks_readers``      risky        queries and views using the old column name stop working
``drop_view_breaks_readers``          risky        queries using the view stop working (it holds no data)
``drop_materialized_view_stops_flow``  risky       new rows of its source stop reaching its target table
``topic_partitions_remap_keys``       risky        more partitions send a key to a different partition: order per
                                                   key is not kept across the change
``raw_sql_unchecked``                 risky        hand-written SQL: muskox cannot check what it does
``recreate_table_data_copy``          risky        a table is created again beside the old one and its rows copied
                                                   into it (converted), counted and swapped in: the run takes as
                                                   long as the copy, and rows written meanwhile stop it
``type_change_data_loss``             risky        a type change that is not in the dialect's table of conversions
                                                   known to keep every value: some values may change or be lost
====================================  ===========  ===========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import attrs

from muskox.model.engines import mask_settings
from muskox.model.operations import (
    AddTableColumn,
    AddTableIndex,
    AddTableProjection,
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropMaterializedView,
    DropTable,
    DropTableColumn,
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
)
from muskox.model.table import Column, Table
from muskox.model.topic_operations import CreateTopic, DropTopic, IncreaseTopicPartitions, ModifyTopicConfig
from muskox.plugin.dialect import Dialect

Level = Literal["destructive", "risky"]

#: Every risk code and its level.
RISK_LEVELS: dict[str, Level] = {
    "drop_table_data_loss": "destructive",
    "recreate_table_data_loss": "destructive",
    "drop_column_data_loss": "destructive",
    "drop_topic_data_loss": "destructive",
    "type_change_may_fail": "risky",
    "mutation_rewrites_parts": "risky",
    "rename_column_breaks_readers": "risky",
    "drop_view_breaks_readers": "risky",
    "drop_materialized_view_stops_flow": "risky",
    "topic_partitions_remap_keys": "risky",
    "raw_sql_unchecked": "risky",
    "recreate_table_data_copy": "risky",
    "type_change_data_loss": "risky",
    "drop_dictionary_breaks_lookups": "risky",
    "sql_resource_teardown_unchecked": "destructive",
}

ARROW = "→"
_SHOWN_SQL = 160


@attrs.frozen
class Explanation:
    """One operation, explained."""

    index: int
    """1-based, as the listing numbers operations."""
    operation: Operation
    details: tuple[str, ...] = ()
    """``column: type``, ``what: before → after`` lines."""
    impact: str | None = None
    """What happens to the data already stored, in words."""
    risks: tuple[str, ...] = ()
    """Risk codes (keys of :data:`RISK_LEVELS`)."""

    @property
    def level(self) -> Level | None:
        """The highest level of its risks (None when it has none)."""
        levels = {RISK_LEVELS[code] for code in self.risks}
        return "destructive" if "destructive" in levels else ("risky" if levels else None)


def explain_plan(operations: Sequence[Operation], dialect: Dialect) -> list[Explanation]:
    """Every operation of a plan explained (a drop followed by a create of the same table is a recreation)."""
    created = {_table_address(op.table.database, op.table.name) for op in operations if isinstance(op, CreateTable)}
    return [explain(index, operation, dialect, recreated=created) for index, operation in enumerate(operations, 1)]


def explain(index: int, operation: Operation, dialect: Dialect, *,
            recreated: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()) -> Explanation:
    """One operation explained; ``recreated`` holds the ``(database or "", table)`` the plan also creates."""
    def made(details: Sequence[str] = (), impact: str | None = None, risks: Sequence[str] = ()) -> Explanation:
        return Explanation(index, operation, tuple(details), impact, tuple(risks))

    match operation:
        case CreateTable(table=table):
            return made(_table_details(table, dialect), "a new, empty table")
        case DropTable(table=name, database=database):
            if _table_address(database, name) in recreated:
                return made((), "the table is dropped and created again: every row in it is lost",
                            ["recreate_table_data_loss"])
            return made((), "every row of the table is permanently lost", ["drop_table_data_loss"])
        case AddTableColumn(column=column, after_column=after):
            place = f" (after {after})" if after else " (first)"
            return made([f"+ {_column_text(column, dialect)}{place}"], _added_column_impact(column))
        case DropTableColumn(column_name=name):
            return made([f"- {name}"], "the column's data is permanently lost", ["drop_column_data_loss"])
        case ModifyTableColumn(before_column=before, after_column=after):
            return _modified_column(made, before, after, dialect)
        case RenameTableColumn(before_column_name=before, after_column_name=after):
            return made([f"name: {before} {ARROW} {after}"], "data kept; queries using the old name fail",
                        ["rename_column_breaks_readers"])
        case ModifyTableSettings(before_settings=before, after_settings=after):
            return made(_mapping_changes("setting", mask_settings(before or {}), mask_settings(after or {})),
                        "no stored data changes")
        case ModifyTableTtl(before=before, after=after):
            impact = ("expired rows are deleted in the background once the rule applies" if after
                      else "rows are no longer expired")
            return made([f"ttl: {before or 'none'} {ARROW} {after or 'none'}"], impact,
                        ["mutation_rewrites_parts"] if after else [])
        case AddTableIndex(index=index_):
            return made([f"+ index {index_.name}: {index_.expression} (type {index_.type}, granularity "
                         f"{index_.granularity})"], "parts written from now on are indexed")
        case DropTableIndex(index_name=name):
            return made([f"- index {name}"], "no stored data changes (queries may read more)")
        case AddTableProjection(projection=projection):
            return made([f"+ projection {projection.name}"], "parts written from now on carry the projection")
        case DropTableProjection(projection_name=name):
            return made([f"- projection {name}"], "the projection's stored data is deleted")
        case ModifySampleBy(expression=expression):
            return made([f"sample by: {ARROW} {expression}"], "no stored data changes")
        case RemoveSampleBy():
            return made(["sample by: removed"], "no stored data changes")
        case CreateView(select_sql=select):
            return made([f"select: {_short(select)}"], "a view holds no data")
        case DropView():
            return made((), "a view holds no data; queries using it fail", ["drop_view_breaks_readers"])
        case CreateMaterializedView(select_sql=select, target_table=target, target_database=target_db):
            return made([f"into: {dialect.qualified_name(target_db, target)}", f"select: {_short(select)}"],
                        "new rows of its source are written to the target from now on (existing rows are not "
                        "copied)")
        case DropMaterializedView():
            return made((), "new rows of its source stop reaching its target (stored rows stay)",
                        ["drop_materialized_view_stops_flow"])
        case RecreateTableWithCopy(before=before, table=after, reason=reason):
            return _copied_table(made, before, after, reason, dialect)
        case RawSql(sql=statements):
            return made([f"sql: {_short(text)}" for text in statements], "whatever the statements do",
                        ["raw_sql_unchecked"])
        case CreateTopic(topic=topic):
            details = [f"partitions: {topic.partitions}",
                       *(f"{key}: {value}" for key, value in sorted(topic.managed_configs().items()))]
            return made(details, "a new, empty topic")
        case DropTopic():
            return made((), "every message of the topic is permanently lost", ["drop_topic_data_loss"])
        case ModifyTopicConfig(before_configs=before, after_configs=after):
            return made(_mapping_changes("config", before, after), "stored messages stay; the new values apply "
                                                                   "to them from now on (e.g. retention)")
        case IncreaseTopicPartitions(before_partitions=before, after_partitions=after):
            return made([f"partitions: {before} {ARROW} {after}"], "stored messages stay where they are",
                        ["topic_partitions_remap_keys"])
    from muskox.plan.explain_dictionaries import explain_dictionary

    dictionary = explain_dictionary(operation)
    if dictionary is not None:
        return made(*dictionary)
    from muskox.plan.explain_sql_resources import explain_sql_resource

    resource = explain_sql_resource(operation)
    if resource is not None:
        return made(*resource)
    return made()  # a plugin's operation type: its own description says what it does


def _table_address(database: str | None, name: str) -> tuple[str, str]:
    return database or "", name


def _column_text(column: Column, dialect: Dialect) -> str:
    text = f"{column.name} {dialect.render_column_type(column)}"
    for word, value in (("DEFAULT", column.default), ("MATERIALIZED", column.materialized),
                        ("ALIAS", column.alias), ("CODEC", column.codec), ("TTL", column.ttl)):
        if value:
            text += f" {word} {value}"
    return text + (" (key)" if column.primary_key else "")


def _table_details(table: Table, dialect: Dialect) -> list[str]:
    lines = [f"+ {_column_text(column, dialect)}" for column in table.columns]
    lines.append(f"engine: {dialect.render_engine(table.engine)}")
    order_by = table.order_by if isinstance(table.order_by, str) else ", ".join(table.order_by)
    if order_by:
        lines.append(f"order by: {order_by}")
    for label, value in (("partition by", table.partition_by), ("primary key", table.primary_key_expression),
                         ("sample by", table.sample_by), ("ttl", table.ttl)):
        if value:
            lines.append(f"{label}: {value}")
    lines += [f"setting {key}: {value}" for key, value in sorted(mask_settings(table.settings).items())]
    lines += [f"index {index.name}: {index.expression} (type {index.type})" for index in table.indexes]
    lines += [f"projection {projection.name}" for projection in table.projections]
    return lines


def _added_column_impact(column: Column) -> str:
    if column.materialized:
        return "existing rows compute the value from its expression when read"
    if column.alias:
        return "computed when read; nothing is stored"
    if column.default:
        return f"existing rows get the default ({_short(column.default)})"
    return "existing rows get NULL" if column.nullable else "existing rows get the type's default value"


def _modified_column(made: _Made, before: Column, after: Column, dialect: Dialect) -> Explanation:
    old_type, new_type = dialect.render_column_type(before), dialect.render_column_type(after)
    details = [] if old_type == new_type else [f"type: {old_type} {ARROW} {new_type}"]
    for label, old, new in (("default", before.default, after.default), ("codec", before.codec, after.codec),
                            ("ttl", before.ttl, after.ttl), ("comment", before.comment, after.comment),
                            ("materialized", before.materialized, after.materialized),
                            ("alias", before.alias, after.alias)):
        if old != new:
            details.append(f"{label}: {old or 'none'} {ARROW} {new or 'none'}")
    if old_type == new_type:
        return made(details, "no stored value changes")
    risks = ["mutation_rewrites_parts"]
    lossless = dialect.widens(before.data_type, after.data_type) and not (before.nullable and not after.nullable)
    if lossless:
        impact = "existing values are converted without loss (the column is rewritten)"
    else:
        risks[:0] = ["type_change_may_fail", "type_change_data_loss"]
        impact = ("existing values are converted if compatible; a value that does not convert stops the change "
                  "part-way" + (" (NULLs need a default)" if before.nullable and not after.nullable else ""))
    return made(details, impact, risks)


def _copied_table(made: _Made, before: Table, after: Table, reason: str, dialect: Dialect) -> Explanation:
    """A table recreated with a copy of its rows: which columns are converted, kept or lost."""
    old = {column.name: column for column in before.columns}
    details = [f"reason: {reason}"] if reason else []
    risks = ["recreate_table_data_copy"]
    for column in after.columns:
        previous = old.get(column.name)
        if previous is None:
            details.append(f"+ {_column_text(column, dialect)}")
            continue
        old_type, new_type = dialect.render_column_type(previous), dialect.render_column_type(column)
        if old_type != new_type:
            details.append(f"{column.name}: {old_type} {ARROW} {new_type}")
            if not (dialect.widens(previous.data_type, column.data_type)
                    and not (previous.nullable and not column.nullable)) and "type_change_data_loss" not in risks:
                risks.append("type_change_data_loss")
    lost = [name for name in old if after.column(name) is None]
    details += [f"- {name}" for name in lost]
    if lost:
        risks.append("drop_column_data_loss")
    impact = ("every row is copied into the new table (converted), the row counts are compared, then the tables "
              "are swapped and the old one dropped" + (f"; the values of {', '.join(lost)} are lost" if lost else ""))
    return made(details, impact, risks)


def _mapping_changes(label: str, before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [f"{label} {key}: {before.get(key, 'default')} {ARROW} {after.get(key, 'default')}"
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN_SQL else flat[:_SHOWN_SQL - 1] + "…"


class _Made(Protocol):
    """The type of the ``made`` helper of :func:`explain`."""

    def __call__(self, details: Sequence[str] = (), impact: str | None = None,
                 risks: Sequence[str] = ()) -> Explanation: ...
