"""Ordering by references (:mod:`muskox.plan.references`), with the toy dialect: the core reads no SQL itself."""

from __future__ import annotations

import pytest

from muskox.model.infra_map import InfraMap, table_id
from muskox.model.operations import (
    AddTableColumn,
    AddTableIndex,
    DropTableColumn,
    DropTableIndex,
    ModifyTableColumn,
    ModifyTableTtl,
    Operation,
    RecreateTableWithCopy,
    RenameTableColumn,
)
from muskox.model.table import Column, Table, TableIndex
from muskox.model.types import Simple
from muskox.plan.fold import fold
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox.plan.references import ReferenceCycle, order_table_operations, table_references
from tests.core.toy_dialect import TOY

INT = Simple("Int64")


def column(name: str, **options: str) -> Column:
    return Column(name=name, data_type=INT, **options)  # type: ignore[arg-type]


def table(*columns: Column, **options: object) -> Table:
    return Table(name="t", columns=(column("id"), *columns), order_by=("id",), **options)  # type: ignore[arg-type]


def plan(before: Table, after: Table) -> list[Operation]:
    current = InfraMap(default_database="db", tables={table_id(before, "db"): before})
    target = InfraMap(default_database="db", tables={table_id(after, "db"): after})
    result = make_plan(PlanRequest(current=current, target=target, dialect=TOY,
                                   approvals=Approvals(yes_destructive=True)))
    assert fold(current, result.operations).tables == target.tables
    return list(result.operations)


def test_table_references_name_every_referrer() -> None:
    refs = table_references(table(column("ts"), column("d", default="ts + 1"), ttl="ts + [x y]",
                                  indexes=(TableIndex(name="i", expression="lower(ts)", type="minmax"),)), TOY)
    assert refs == {"order by": {"id"}, "ttl": {"ts", "x y"}, "index i": {"ts"}, "column d": {"ts"}}


def test_the_ttl_moves_off_a_column_before_it_is_dropped() -> None:
    operations = plan(table(column("ts"), column("expires"), ttl="expires"), table(column("ts"), ttl="ts"))
    kinds = [type(op) for op in operations]
    assert kinds.index(ModifyTableTtl) < kinds.index(DropTableColumn)


def test_a_column_is_added_before_the_ttl_and_index_using_it() -> None:
    index = TableIndex(name="i", expression="lower(fresh)", type="minmax")
    operations = plan(table(ttl="id"), table(column("fresh"), ttl="fresh", indexes=(index,)))
    kinds = [type(op) for op in operations]
    assert kinds.index(AddTableColumn) < kinds.index(ModifyTableTtl)
    assert kinds.index(AddTableColumn) < kinds.index(AddTableIndex)


def test_a_default_stops_naming_a_column_before_it_is_dropped() -> None:
    operations = plan(table(column("a"), column("b", default="a")), table(column("b", default="id")))
    kinds = [type(op) for op in operations]
    assert kinds.index(ModifyTableColumn) < kinds.index(DropTableColumn)


def test_unconstrained_operations_keep_the_lowering_order() -> None:
    before, after = table(column("a")), table(column("b"))
    teardown: list[Operation] = [DropTableIndex(table="t", index_name="i"), DropTableColumn(table="t", column_name="a")]
    setup: list[Operation] = [AddTableColumn(table="t", column=column("b"), after_column="id")]
    assert order_table_operations(teardown, setup, before, after, TOY) == (teardown, setup)


def test_a_cycle_is_a_planning_error_naming_it() -> None:
    # b's default moves from a to c while a is renamed to c: the rename must come both after (a is still named)
    # and before (c must exist) the change of the default
    before, after = table(column("a"), column("b", default="a")), table(column("c"), column("b", default="c"))
    setup: list[Operation] = [
        RenameTableColumn(table="t", before_column_name="a", after_column_name="c"),
        ModifyTableColumn(table="t", before_column=column("b", default="a"), after_column=column("b", default="c")),
    ]
    with pytest.raises(ReferenceCycle, match=r"Renaming column 'a' to 'c'.* -> .*Modifying column 'b'"):
        order_table_operations([], setup, before, after, TOY)


def test_a_key_change_recreates_with_a_copy_only_where_the_dialect_can_copy() -> None:
    before = table(column("a"))
    after = Table(name="t", columns=before.columns, order_by=("a",))
    operations = plan(before, after)
    assert not any(isinstance(op, RecreateTableWithCopy) for op in operations)  # the toy cannot copy rows
