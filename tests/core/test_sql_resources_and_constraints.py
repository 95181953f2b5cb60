"""SQL resources and table constraints in the core: the file encoding, the differ, lowering and ordering, the
destructive gate, the fold, plan and delta files, explanations and the state kept after a snapshot migrate."""

from __future__ import annotations

import attrs
import pytest

from muskox.files import delta as d
from muskox.files.delta_operations import deltas_from_operations, lower_delta
from muskox.files.plan_yaml import Plan, plan_from_yaml, plan_to_yaml
from muskox.files.state_hash import state_hash
from muskox.model.codec import model_codec
from muskox.model.infra_map import InfraMap
from muskox.model.operations import (
    BUILTIN_OPERATIONS,
    AddTableConstraint,
    CreateSqlResource,
    CreateTable,
    DropSqlResource,
    DropTableConstraint,
)
from muskox.model.sql_resource import SqlResource
from muskox.model.table import Column, Table, TableConstraint
from muskox.model.types import Simple
from muskox.plan.explain import explain
from muskox.plan.fold import FoldError, fold
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.reconcile import applied_state, reconcile
from muskox_clickhouse.dialect import CLICKHOUSE

VIEW = SqlResource.from_encoding({"name": "counts", "setup": ["CREATE VIEW counts AS SELECT count() FROM t"],
                                  "teardown": ["DROP VIEW IF EXISTS counts"],
                                  "pulls_data_from": [{"id": "t", "kind": "Table"}], "source_file": "app/main.py"})
CHECK = TableConstraint(name="positive", expression="id > 0", type="CHECK")
T = Table(name="t", columns=(Column(name="id", data_type=Simple("UInt64")),), order_by=("id",))


def infra(*resources: SqlResource, tables: tuple[Table, ...] = ()) -> InfraMap:
    return InfraMap.of("db", tables=tables, sql_resources=resources)


def kinds(plan_operations: object) -> list[str]:
    return [type(op).__name__ for op in plan_operations]  # type: ignore[attr-defined]


def test_encoding_round_trips_through_the_infra_map_file() -> None:
    codec = model_codec(CLICKHOUSE)
    written = codec.unstructure_infra_map(infra(VIEW, tables=(attrs.evolve(T, constraints=(CHECK,)),)))
    assert written["sql_resources"]["counts"]["pulls_data_from"] == [{"id": "t", "kind": "Table"}]
    assert written["tables"]["db_t"]["constraints"] == [{"name": "positive", "expression": "id > 0", "type": "CHECK"}]
    read = codec.structure_infra_map(written)
    assert read.sql_resources == {"counts": VIEW} and read.recorded == {}
    assert read.sql_resources["counts"].definition == VIEW.definition
    assert next(iter(read.tables.values())).constraints == (CHECK,)


def test_added_changed_removed_are_setup_teardown_plus_setup_teardown() -> None:
    created = make_plan(PlanRequest(current=infra(tables=(T,)), target=infra(VIEW, tables=(T,)), dialect=CLICKHOUSE))
    assert kinds(created.operations) == ["CreateSqlResource"] and created.destructive == ()
    changed = attrs.evolve(VIEW, setup=("CREATE VIEW counts AS SELECT 1",))
    replaced = make_plan(PlanRequest(current=infra(VIEW), target=infra(changed), dialect=CLICKHOUSE, gate=False))
    assert kinds(replaced.operations) == ["DropSqlResource", "CreateSqlResource"]
    assert replaced.operations[0].resource == VIEW and replaced.operations[1].resource == changed  # type: ignore
    assert [f.description for f in replaced.destructive] == [
        "TEARDOWN + SETUP SQL RESOURCE counts (setup or teardown SQL changed)"]
    removed = make_plan(PlanRequest(current=infra(VIEW), target=infra(), dialect=CLICKHOUSE, gate=False))
    assert kinds(removed.operations) == ["DropSqlResource"]
    assert [f.description for f in removed.destructive] == ["TEARDOWN SQL RESOURCE counts"]
    other_metadata = SqlResource.from_encoding({**VIEW.to_encoding(), "source_file": "elsewhere.py"})
    assert make_plan(PlanRequest(current=infra(VIEW), target=infra(other_metadata), dialect=CLICKHOUSE)
                     ).operations == ()


def test_setup_runs_after_every_table_and_view_teardown_before_every_drop() -> None:
    target = InfraMap.of("db", tables=[T], sql_resources=[VIEW])
    plan = make_plan(PlanRequest(current=InfraMap(default_database="db"), target=target, dialect=CLICKHOUSE))
    assert kinds(plan.operations) == ["CreateTable", "CreateSqlResource"]
    gone = make_plan(PlanRequest(current=target, target=InfraMap(default_database="db"), dialect=CLICKHOUSE,
                                 gate=False))
    assert kinds(gone.operations) == ["DropSqlResource", "DropTable"]


def test_constraints_added_changed_dropped() -> None:
    with_check = attrs.evolve(T, constraints=(CHECK,))
    plan = make_plan(PlanRequest(current=infra(tables=(T,)), target=infra(tables=(with_check,)), dialect=CLICKHOUSE))
    assert kinds(plan.operations) == ["AddTableConstraint"] and plan.destructive == ()
    assumed = attrs.evolve(T, constraints=(attrs.evolve(CHECK, type="ASSUME"),))
    plan = make_plan(PlanRequest(current=infra(tables=(with_check,)), target=infra(tables=(assumed,)),
                                 dialect=CLICKHOUSE))
    assert kinds(plan.operations) == ["DropTableConstraint", "AddTableConstraint"]
    plan = make_plan(PlanRequest(current=infra(tables=(with_check,)), target=infra(tables=(T,)), dialect=CLICKHOUSE))
    assert kinds(plan.operations) == ["DropTableConstraint"]
    reformatted = attrs.evolve(T, constraints=(attrs.evolve(CHECK, expression="(id > 0)"),))
    assert make_plan(PlanRequest(current=infra(tables=(reformatted,)), target=infra(tables=(with_check,)),
                                 dialect=CLICKHOUSE)).operations == ()


def test_fold_and_its_preconditions() -> None:
    after = fold(infra(tables=(T,)), [CreateSqlResource(resource=VIEW),
                                      AddTableConstraint(table="t", constraint=CHECK)])
    assert after.sql_resources == {"counts": VIEW}
    assert next(iter(after.tables.values())).constraints == (CHECK,)
    back = fold(after, [DropSqlResource(resource=VIEW), DropTableConstraint(table="t", constraint_name="positive")])
    assert back == infra(tables=(T,))
    for wrong in ([CreateSqlResource(resource=VIEW)], [AddTableConstraint(table="t", constraint=CHECK)]):
        with pytest.raises(FoldError):
            fold(after, wrong)
    with pytest.raises(FoldError):
        fold(infra(), [DropSqlResource(resource=VIEW)])


def test_plan_and_delta_files_round_trip() -> None:
    operations = (CreateTable(table=attrs.evolve(T, constraints=(CHECK,))), CreateSqlResource(resource=VIEW),
                  DropTableConstraint(table="t", constraint_name="positive"), DropSqlResource(resource=VIEW))
    written = plan_to_yaml(Plan(created_at="2026-01-01T00:00:00Z", operations=operations), CLICKHOUSE)
    assert plan_from_yaml(written, BUILTIN_OPERATIONS, CLICKHOUSE).operations == operations
    deltas = deltas_from_operations(operations, InfraMap(default_database="db"), approved_at="2026-01-01T00:00:00Z")
    assert [delta.TYPE for delta in deltas] == ["CreateTable", "CreateSqlResource", "DropTableConstraint",
                                                "DropSqlResource"]
    assert isinstance(deltas[-1], d.DropSqlResource) and deltas[-1].policy is not None
    migration = d.MigrationFile(id="20260101_000000_000_migration", description="migration",
                                parent_state_hash=state_hash(InfraMap(default_database="db"), CLICKHOUSE),
                                deltas=deltas, created_at="2026-01-01T00:00:00Z")
    read = d.migration_from_yaml(d.migration_to_yaml(migration, CLICKHOUSE), "m.yaml", CLICKHOUSE)
    state = InfraMap(default_database="db")
    lowered = []
    for delta in read.deltas:
        lowered += lower_delta(delta, state)
        state = fold(state, lower_delta(delta, state))
    assert [type(op).__name__ for op in lowered] == [type(op).__name__ for op in operations]


def test_state_hash_counts_the_statements() -> None:
    empty = state_hash(InfraMap(default_database="db"), CLICKHOUSE)
    assert state_hash(infra(VIEW), CLICKHOUSE) != empty
    assert state_hash(infra(attrs.evolve(VIEW, teardown=())), CLICKHOUSE) != state_hash(infra(VIEW), CLICKHOUSE)


def test_the_store_is_the_only_witness() -> None:
    nothing = InfraMap(default_database="db")
    assert reconcile(infra(VIEW), nothing, nothing).sql_resources == {"counts": VIEW}
    assert reconcile(None, nothing, infra(VIEW)).sql_resources == {}
    assert applied_state(None, nothing, infra(VIEW)).sql_resources == {"counts": VIEW}


def test_explanations() -> None:
    setup = explain(1, CreateSqlResource(resource=VIEW), CLICKHOUSE)
    assert setup.details == ("setup: CREATE VIEW counts AS SELECT count() FROM t",) and setup.level == "risky"
    teardown = explain(1, DropSqlResource(resource=VIEW), CLICKHOUSE)
    assert teardown.level == "destructive"
    added = explain(1, AddTableConstraint(table="t", constraint=CHECK), CLICKHOUSE)
    assert added.details == ("+ constraint positive: CHECK id > 0",) and "inserted from now on" in (added.impact or "")
