"""Map keys that cannot collide: Moose's ``<database>_<name>`` key is shared by ``a_b``.``c`` and ``a``.``b_c``,
and Moose keys views by bare name across databases; muskox keys both by quoted parts and writes Moose's key to
files wherever it is unique."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muskox.files.delta import new_migration
from muskox.files.delta_operations import deltas_from_operations, lower_migration
from muskox.files.snapshot import infra_map_from_text, infra_map_to_text
from muskox.model.infra_map import InfraMap, moose_table_key, table_id, view_id
from muskox.model.operations import AddTableColumn
from muskox.model.resources import View
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox.plan.fold import FoldError, fold
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox_clickhouse.dialect import CLICKHOUSE

DEFAULT = "a"
ID = Column(name="id", data_type=Simple("UInt64"))
YES = Approvals(yes_all=True, yes_destructive=True, yes_rename=True)


def table(database: str | None, name: str) -> Table:
    return Table(name=name, columns=(ID,), database=database, order_by=("id",))


def colliding_world() -> InfraMap:
    return InfraMap.of(
        DEFAULT,
        tables=[table("a_b", "c"), table(None, "b_c"), table(None, "plain")],
        views=[View(name="v", select_sql="SELECT 1", database=None),
               View(name="v", select_sql="SELECT 2", database="a_b")],
    )


def test_tables_and_views_that_moose_keys_alike_are_all_kept() -> None:
    world = colliding_world()
    assert moose_table_key(table("a_b", "c"), DEFAULT) == moose_table_key(table(None, "b_c"), DEFAULT)
    assert sorted((t.database or DEFAULT, t.name) for t in world.tables.values()) == [
        ("a", "b_c"), ("a", "plain"), ("a_b", "c")]
    assert sorted((v.database or DEFAULT, v.select_sql) for v in world.views.values()) == [
        ("a", "SELECT 1"), ("a_b", "SELECT 2")]


def test_files_use_moose_keys_where_unique_and_read_back_every_resource() -> None:
    world = colliding_world()
    text = infra_map_to_text(world, CLICKHOUSE)
    written = json.loads(text)
    assert "a_plain" in written["tables"]  # Moose's key where no other table shares it
    assert "a_b_c" not in written["tables"] and len(written["tables"]) == 3
    assert "v" not in written["views"] and len(written["views"]) == 2
    assert infra_map_from_text(text, "remote_state.json", CLICKHOUSE) == world


def test_plan_creates_both_and_replanning_is_empty() -> None:
    world = colliding_world()
    empty = InfraMap(default_database=DEFAULT)
    plan = make_plan(PlanRequest(current=empty, target=world, approvals=YES, dialect=CLICKHOUSE))
    assert sorted(type(op).__name__ for op in plan.operations) == ["CreateTable"] * 3 + ["CreateView"] * 2
    applied = fold(empty, plan.operations)
    assert applied.tables.keys() == world.tables.keys() and applied.views.keys() == world.views.keys()
    assert make_plan(PlanRequest(current=applied, target=world, approvals=YES, dialect=CLICKHOUSE)).empty


def test_delta_files_name_tables_by_moose_key_unless_it_is_ambiguous() -> None:
    world = colliding_world()
    extra = Column(name="x", data_type=Simple("String"))
    operations = (AddTableColumn(table="c", database="a_b", column=extra, after_column="id"),
                  AddTableColumn(table="plain", column=extra))
    deltas = deltas_from_operations(operations, world)
    assert [getattr(d, "table_id", None) for d in deltas] == [table_id(table("a_b", "c"), DEFAULT), "a_plain"]
    lowered, state = lower_migration(new_migration(deltas, "h"), world)
    assert [(op.database, op.table) for op in lowered.operations] == [("a_b", "c"), (None, "plain")]
    assert [c.name for c in state.tables[table_id(table("a_b", "c"), DEFAULT)].columns] == ["id", "x"]
    assert [c.name for c in state.tables[table_id(table(None, "b_c"), DEFAULT)].columns] == ["id"]


def test_an_ambiguous_moose_key_in_a_delta_file_is_an_error_naming_both_tables() -> None:
    from muskox.files import delta as d

    migration = new_migration((d.AddTableColumn(table_id="a_b_c", column=ID),), "h")
    with pytest.raises(FoldError, match=r"'a_b\.c' and 'a\.b_c'|'a\.b_c' and 'a_b\.c'"):
        lower_migration(migration, colliding_world())


NAMES = st.text(alphabet="ab_.`\"é", min_size=1, max_size=6)


@given(NAMES, NAMES, NAMES, NAMES)
def test_keys_are_injective(db1: str, name1: str, db2: str, name2: str) -> None:
    if (db1, name1) != (db2, name2):
        assert table_id(table(db1, name1), DEFAULT) != table_id(table(db2, name2), DEFAULT)
        assert view_id(db1, name1, DEFAULT) != view_id(db2, name2, DEFAULT)
