"""Which expressions of a table reference which columns, and the order of one table's operations that follows.

A table's expressions — the TTL, the sorting, partition, primary and sample keys, skip indexes, projections and
the default, materialized, alias and TTL expressions of its columns — name columns. ClickHouse refuses to drop a
column an expression still names, and to add an expression naming a column that does not exist yet. So, among the
operations on one table:

* an operation that removes a reference to column ``c`` (dropping an index, changing the TTL, a default) runs
  before the operation dropping (or renaming away) ``c``;
* the operation adding (or renaming to) ``c`` runs before every operation that adds a reference to ``c``;
* a column dropped and added again under one name (a type the database cannot convert) is dropped first.

Everything else keeps the lowering's order. Which names an expression mentions is the dialect's business
(:meth:`muskox.plugin.dialect.Dialect.identifiers`): the core reads no SQL. Views and materialized views need no
rule here: they are dropped before and created after every table operation (:mod:`muskox.plan.ordering`).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.operations import (
    AddTableColumn,
    AddTableIndex,
    AddTableProjection,
    DropTableColumn,
    DropTableIndex,
    DropTableProjection,
    ModifySampleBy,
    ModifyTableColumn,
    ModifyTableTtl,
    Operation,
    RemoveSampleBy,
    RenameTableColumn,
)
from muskox.model.table import Column, Table
from muskox.plugin.dialect import Dialect

__all__ = ["ReferenceCycle", "column_references", "order_table_operations", "table_references"]


class ReferenceCycle(MuskoxError):
    """The operations on one table reference each other's columns in a cycle: no order can apply them."""

    exit_code = ExitCode.PLAN_INVALID


def column_references(column: Column, dialect: Dialect) -> frozenset[str]:
    """The names a column's default, materialized, alias and TTL expressions mention (its own name excluded)."""
    names: set[str] = set()
    for expression in (column.default, column.materialized, column.alias, column.ttl):
        if expression:
            names |= dialect.identifiers(expression)
    return frozenset(names - {column.name})


def table_references(table: Table, dialect: Dialect) -> dict[str, frozenset[str]]:
    """What references which names in ``table``: ``{"ttl": {...}, "index i": {...}, "column c": {...}, …}``
    (only the referrers that mention some name)."""
    found: dict[str, frozenset[str]] = {}

    def note(label: str, expression: str | None) -> None:
        names = dialect.identifiers(expression) if expression else frozenset()
        if names:
            found[label] = names

    order_by = table.order_by if isinstance(table.order_by, str) else ", ".join(
        dialect.quote_identifier(name) for name in table.order_by)
    note("order by", order_by or None)
    note("partition by", table.partition_by)
    note("primary key", table.primary_key_expression)
    note("sample by", table.sample_by)
    note("ttl", table.ttl)
    for index in table.indexes:
        note(f"index {index.name}", index.expression)
    for projection in table.projections:
        note(f"projection {projection.name}", projection.body)
    for column in table.columns:
        names = column_references(column, dialect)
        if names:
            found[f"column {column.name}"] = names
    return found


@attrs.frozen
class _Effect:
    """What one operation does to the references of its table."""

    removes: frozenset[str] = frozenset()
    """Names whose references it removes."""
    adds: frozenset[str] = frozenset()
    """Names it adds references to."""
    drops: frozenset[str] = frozenset()
    """Columns that no longer exist after it."""
    creates: frozenset[str] = frozenset()
    """Columns that exist after it."""


def _effect(operation: Operation, before: Table, after: Table, dialect: Dialect) -> _Effect:
    def names(expression: str | None) -> frozenset[str]:
        return dialect.identifiers(expression) if expression else frozenset()

    match operation:
        case DropTableColumn(column_name=name):
            return _Effect(drops=frozenset({name}))
        case AddTableColumn(column=column):
            return _Effect(adds=column_references(column, dialect), creates=frozenset({column.name}))
        case RenameTableColumn(before_column_name=old, after_column_name=new):
            return _Effect(drops=frozenset({old}), creates=frozenset({new}))
        case ModifyTableColumn(before_column=old_column, after_column=new_column):
            return _Effect(removes=column_references(old_column, dialect),
                           adds=column_references(new_column, dialect))
        case ModifyTableTtl(before=old_ttl, after=new_ttl):
            return _Effect(removes=names(old_ttl), adds=names(new_ttl))
        case DropTableIndex(index_name=name):
            return _Effect(removes=names(next((i.expression for i in before.indexes if i.name == name), None)))
        case AddTableIndex(index=index):
            return _Effect(adds=names(index.expression))
        case DropTableProjection(projection_name=name):
            return _Effect(removes=names(next((p.body for p in before.projections if p.name == name), None)))
        case AddTableProjection(projection=projection):
            return _Effect(adds=names(projection.body))
        case ModifySampleBy(expression=expression):
            return _Effect(removes=names(before.sample_by), adds=names(expression))
        case RemoveSampleBy():
            return _Effect(removes=names(before.sample_by))
    return _Effect()


def order_table_operations(teardown: Sequence[Operation], setup: Sequence[Operation], before: Table,
                           after: Table, dialect: Dialect) -> tuple[list[Operation], list[Operation]]:
    """``teardown`` and ``setup`` of one table's change, reordered as references require (see the module).

    The result is again a teardown (the operations of ``teardown`` that need nothing of ``setup`` first) and a
    setup (the rest, in order). The order is stable: operations no rule constrains keep their places.

    :raises ReferenceCycle: the rules contradict each other; the message names the operations of the cycle.
    """
    operations = [*teardown, *setup]
    effects = [_effect(op, before, after, dialect) for op in operations]
    edges: dict[int, set[int]] = {index: set() for index in range(len(operations))}
    for first, one in enumerate(effects):
        for second, other in enumerate(effects):
            if first == second:
                continue
            if one.removes & other.drops or one.creates & other.adds:
                edges[first].add(second)
            elif one.drops & other.creates and not one.creates & other.drops:
                edges[first].add(second)  # the same name dropped, then added again
    placed = _stable_topological(operations, edges)
    split = 0
    teardown_count = len(teardown)
    while split < len(placed) and placed[split] < teardown_count:
        split += 1
    return [operations[i] for i in placed[:split]], [operations[i] for i in placed[split:]]


def _stable_topological(operations: Sequence[Operation], edges: dict[int, set[int]]) -> list[int]:
    """Indices in an order where every edge points forward, the smallest index first among those ready."""
    waiting = dict.fromkeys(edges, 0)
    for targets in edges.values():
        for target in targets:
            waiting[target] += 1
    ready = [index for index, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    placed: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        placed.append(index)
        for target in sorted(edges[index]):
            waiting[target] -= 1
            if waiting[target] == 0:
                heapq.heappush(ready, target)
    if len(placed) < len(operations):
        raise ReferenceCycle(
            "the operations on one table reference each other's columns in a cycle: "
            + _cycle_text(operations, edges, set(placed)),
            "split the change in two migrations (first remove the references, then drop or change the columns), or "
            "give the table a new version",
        )
    return placed


def _cycle_text(operations: Sequence[Operation], edges: dict[int, set[int]], placed: set[int]) -> str:
    """One cycle among the operations not placed, as ``a -> b -> a``."""
    # every operation left has a predecessor left: walking back along them must meet one twice
    start = min(index for index in range(len(operations)) if index not in placed)
    path = [start]
    current = start
    while True:
        current = min(source for source, targets in edges.items() if current in targets and source not in placed)
        if current in path:
            start = path.index(current)  # path[k + 1] comes before path[k]: read it backwards
            cycle = [current, *reversed(path[start + 1:]), current]
            return " -> ".join(operations[index].describe() for index in cycle)
        path.append(current)
