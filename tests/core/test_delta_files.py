"""Delta files (spec 3.1): moose-cli's files load, muskox's files round-trip, deltas and operations convert both
ways, the fold checks its preconditions, and the state hash ignores what the server reformats."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.errors import PlanInvalid
from muskox.files import delta as d
from muskox.files.delta import (
    load_migrations,
    migration_from_yaml,
    migration_id,
    migration_to_yaml,
    new_migration,
    slug,
    write_migration,
)
from muskox.files.delta_operations import deltas_from_operations, fold_migration, lower_deltas, lower_migration
from muskox.files.state_hash import state_hash
from muskox.model import operations as ops
from muskox.model.engines import ReplacingMergeTree
from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column, LifeCycle, Metadata, SourceFile, Table
from muskox.model.types import Simple
from muskox.plan.delta_generate import migration_for_plan, pending_state
from muskox.plan.fold import FoldError, fold
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox.testing.strategies import schema_pairs
from muskox_clickhouse.dialect import CLICKHOUSE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "moose-cli-0.6.533" / "delta-mode"
MOOSE_EMPTY_HASH = "2cef55d3abf87fd8ab3e438898a908d7af537773c06e46ee692b6bd622e44901"
YES = Approvals(yes_all=True, yes_destructive=True, yes_rename=True)
NOW = dt.datetime(2026, 4, 15, 10, 15, 30, 123456, tzinfo=dt.UTC)
DB = "db"


@pytest.fixture(autouse=True)
def _quiet_planner() -> Iterator[None]:
    logger = logging.getLogger("muskox.plan.planner")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def moose_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


# -- moose-cli's files ----------------------------------------------------------------------------------------


def test_moose_files_load_with_their_tagged_engines() -> None:
    first, second = (migration_from_yaml(p.read_text(), p.name, CLICKHOUSE) for p in moose_files())
    assert first.id == "20261123_063614_163_migration" and first.description == "migration"
    assert first.created_at == "2026-11-23T06:36:14.163703724Z"
    assert all(type(delta).__name__.startswith("Create") for delta in first.deltas)
    assert [type(delta).__name__ for delta in first.deltas] == [
        "CreateTable", "CreateTable", "CreateTable", "CreateMaterializedView", "CreateView"]
    users = first.deltas[2]
    assert isinstance(users, d.CreateTable) and users.table.name == "users"
    assert users.table.engine == ReplacingMergeTree(ver="updated")  # `engine: !ReplacingMergeTree` in the file
    assert users.table.life_cycle is LifeCycle.DELETION_PROTECTED
    events = first.deltas[1]
    assert isinstance(events, d.CreateTable) and events.table.ttl == "ts + INTERVAL 30 DAY"
    mv = first.deltas[3]
    assert isinstance(mv, d.CreateMaterializedView) and mv.mv.target_table == "kind_counts"
    assert [c.name for c in second.deltas[0].table.columns][:2] == ["id", "full_name"]  # type: ignore[attr-defined]


def test_moose_empty_state_hash_is_muskox_empty_state_hash() -> None:
    """Both moose files were generated against an empty database; muskox hashes an empty state the same."""
    first = migration_from_yaml(moose_files()[0].read_text(), "first", CLICKHOUSE)
    assert first.parent_state_hash == MOOSE_EMPTY_HASH == state_hash(InfraMap(default_database="local"), CLICKHOUSE)


def test_moose_first_file_folds_from_empty_and_lowers_to_plan_operations() -> None:
    first = migration_from_yaml(moose_files()[0].read_text(), "first", CLICKHOUSE)
    lowered, state = lower_migration(first, InfraMap(default_database="local"))
    assert [type(op).__name__ for op in lowered.operations] == [
        "CreateTable", "CreateTable", "CreateTable", "CreateMaterializedView", "CreateView"]
    assert sorted(t.name for t in state.tables.values()) == ["events", "kind_counts", "users"]
    assert state.views['"local"."big_events"'].source_tables == ("`events`",)
    assert state_hash(state, CLICKHOUSE) != MOOSE_EMPTY_HASH


def test_muskox_writes_plain_mappings_in_moose_field_order() -> None:
    first = migration_from_yaml(moose_files()[0].read_text(), "first", CLICKHOUSE)
    text = migration_to_yaml(first, CLICKHOUSE)
    assert "!" not in text
    top = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "-"))]
    assert top == ["id", "description", "parent_state_hash", "deltas", "created_at"]
    assert "  engine:\n      ReplacingMergeTree:\n        ver: updated\n        is_deleted: null\n" in text
    assert "- type: CreateTable\n  table:\n    name: kind_counts\n    columns:\n" in text
    assert text.endswith("created_at: 2026-11-23T06:36:14.163703724Z\n")  # a plain YAML timestamp
    assert migration_from_yaml(text, "again", CLICKHOUSE) == first


@pytest.mark.parametrize(("engine_yaml", "expected"), [
    ("!MergeTree", "MergeTree"),
    ("!MergeTree ''", "MergeTree"),
    ("!SummingMergeTree {columns: [n]}", "SummingMergeTree"),
])
def test_tagged_engines_in_any_form(engine_yaml: str, expected: str) -> None:
    text = (f"id: x\nparent_state_hash: h\ncreated_at: 2026-01-01T00:00:00Z\ndeltas:\n- type: CreateTable\n"
            f"  table:\n    name: t\n    columns: []\n    engine: {engine_yaml}\n")
    (delta,) = migration_from_yaml(text, "x.yaml", CLICKHOUSE).deltas
    assert isinstance(delta, d.CreateTable) and type(delta.table.engine).__name__ == expected


# -- reading errors -------------------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_path() -> None:
    text = """id: 20260101_000000_000_x
parent_state_hash: abc
created_at: 2026-01-01T00:00:00Z
deltas:
- type: CreateRowPolicy
  policy: {}
- type: AddTableColumn
  table_id: db_events
  column: {name: c, data_type: {Strin: 1}, required: true}
- type: DropTableColumn
  table_id: db_events
- type: RenameTableColumn
  table_id: db_events
  before_name: a
  after_name: b
  surprise: 1
"""
    with pytest.raises(PlanInvalid) as caught:
        migration_from_yaml(text, "f.yaml", CLICKHOUSE)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    assert problems[0].startswith("f.yaml: deltas[0]: unknown delta type 'CreateRowPolicy'")
    assert problems[1].startswith("f.yaml: deltas[1] (AddTableColumn).column: ") and "Strin" in problems[1]
    assert problems[2] == "f.yaml: deltas[2] (DropTableColumn).column_name: required field missing"
    assert problems[3] == "f.yaml: deltas[3] (RenameTableColumn): unknown field 'surprise'"


def test_bad_yaml_and_missing_fields() -> None:
    with pytest.raises(PlanInvalid, match="not valid YAML at line 1"):
        migration_from_yaml("id: [unclosed", "f.yaml", CLICKHOUSE)
    with pytest.raises(PlanInvalid) as caught:
        migration_from_yaml("deltas: []\n", "f.yaml", CLICKHOUSE)
    assert "f.yaml: id: expected a non-empty string" in caught.value.problems


def test_directory_loading_skips_plan_and_pending_and_checks_ids(tmp_path: Path) -> None:
    migration = new_migration((), "h", now=NOW)
    write_migration(tmp_path, migration, CLICKHOUSE)
    (tmp_path / "plan.yaml").write_text("created_at: x\noperations: []\n")
    (tmp_path / "pending.yaml").write_text("not: a migration\n")
    assert load_migrations(tmp_path, CLICKHOUSE) == [migration]
    with pytest.raises(PlanInvalid, match="already exists"):
        write_migration(tmp_path, migration, CLICKHOUSE)
    (tmp_path / "renamed.yaml").write_text(migration_to_yaml(migration, CLICKHOUSE))
    with pytest.raises(PlanInvalid) as caught:
        load_migrations(tmp_path, CLICKHOUSE)
    assert any("differs from the file name" in p for p in caught.value.problems)
    assert any("two files have the id" in p for p in caught.value.problems)
    assert load_migrations(tmp_path / "missing", CLICKHOUSE) == []


# -- ids ------------------------------------------------------------------------------------------------------


def test_ids_and_slugs() -> None:
    assert migration_id("migration", NOW) == "20260415_101530_123_migration"
    assert slug("Add user prefs!") == "add_user_prefs"
    assert slug("  --Ünïcode & CO2  ") == "n_code_co2"
    assert slug("!!!") == "migration"
    later = migration_id("x", NOW, after="20260415_101530_123_migration")  # same millisecond
    assert later == "20260415_101530_124_x" and later > "20260415_101530_123_migration"
    skewed = migration_id("x", NOW, after="20270101_000000_999_other")  # a teammate's clock runs ahead
    assert skewed == "20270101_000001_000_x"
    with pytest.raises(PlanInvalid, match="sorts after"):
        migration_id("x", NOW, after="30000101_add_things")


# -- deltas ↔ operations --------------------------------------------------------------------------------------


def _canonical(operations: Sequence[ops.Operation], current: InfraMap) -> list[ops.Operation]:
    """A recreated table's DropTable moved just before its CreateTable; ``database`` None for the default."""
    result = list(operations)
    for create in [op for op in operations if isinstance(op, ops.CreateTable)]:
        name = create.table.name
        drops = [op for op in result if isinstance(op, ops.DropTable) and op.table == name]
        if drops and result.index(drops[0]) < result.index(create):
            result.remove(drops[0])
            result.insert(result.index(create), drops[0])

    def local(op: ops.Operation) -> ops.Operation:
        if isinstance(op, ops.TableOperation) and op.database == current.default_database:
            return attrs.evolve(op, database=None)
        return op

    return [local(op) for op in result]


def _plan(pair: tuple[InfraMap, InfraMap]) -> tuple[InfraMap, InfraMap, tuple[ops.Operation, ...]]:
    before, after = pair
    return before, after, make_plan(PlanRequest(current=before, target=after, approvals=YES,
                                                dialect=CLICKHOUSE)).operations


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_pairs(default_database=DB))
def test_lowering_the_deltas_of_a_plan_gives_the_plan(pair: tuple[InfraMap, InfraMap]) -> None:
    before, after, operations = _plan(pair)
    deltas = deltas_from_operations(operations, before, target=after, approved_at="2026-01-01T00:00:00Z")
    assert lower_deltas(deltas, before) == _canonical(operations, before)
    assert deltas_from_operations(lower_deltas(deltas, before), before, target=after,
                                  approved_at="2026-01-01T00:00:00Z") == deltas
    for delta in deltas:
        if isinstance(delta, d.DropTable | d.RecreateTable):
            assert delta.policy is not None and delta.policy.approved_at == "2026-01-01T00:00:00Z"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_pairs(default_database=DB))
def test_files_round_trip_through_yaml_and_fold_like_the_plan(pair: tuple[InfraMap, InfraMap]) -> None:
    before, after, operations = _plan(pair)
    migration = new_migration(deltas_from_operations(operations, before, target=after),
                              state_hash(before, CLICKHOUSE), now=NOW)
    again = migration_from_yaml(migration_to_yaml(migration, CLICKHOUSE), migration.file_name, CLICKHOUSE)
    assert again == migration
    folded = fold_migration(before, again)
    assert CLICKHOUSE.normalize_infra_map(folded) == CLICKHOUSE.normalize_infra_map(fold(before, operations))


def _view_world() -> tuple[InfraMap, InfraMap]:
    table = Table(name="events", columns=(Column(name="id", data_type=Simple("String")),), order_by=("id",))
    counts = Table(name="counts", columns=(Column(name="n", data_type=Simple("UInt64")),), order_by=("n",))
    meta = Metadata(source=SourceFile(file="app/main.py"))
    view = View(name="recent", select_sql="SELECT id FROM events", source_tables=("events",), metadata=meta)
    mv = MaterializedView(name="to_counts", select_sql="SELECT count() AS n FROM events", target_table="counts",
                          source_tables=("events",), life_cycle=LifeCycle.DELETION_PROTECTED, metadata=meta)
    before = InfraMap.of(DB, tables=[table, counts], views=[attrs.evolve(view, select_sql="SELECT 1")])
    after = InfraMap.of(DB, tables=[table, counts], views=[view], materialized_views=[mv])
    return before, after


def test_views_and_materialized_views_keep_their_whole_definition() -> None:
    before, after = _view_world()
    operations = make_plan(PlanRequest(current=before, target=after, approvals=YES, dialect=CLICKHOUSE)).operations
    deltas = deltas_from_operations(operations, before, target=after)
    assert [type(x).__name__ for x in deltas] == ["DropView", "CreateView", "CreateMaterializedView"]
    assert deltas[0] == d.DropView(view=before.views[f'"{DB}"."recent"'])
    assert deltas[1] == d.CreateView(view=after.views[f'"{DB}"."recent"'])
    assert deltas[2] == d.CreateMaterializedView(mv=after.materialized_views[f'"{DB}"."to_counts"'])
    assert lower_deltas(deltas, before) == list(operations)
    migration = new_migration(deltas, state_hash(before, CLICKHOUSE), now=NOW)
    assert migration_from_yaml(migration_to_yaml(migration, CLICKHOUSE), "x", CLICKHOUSE) == migration
    assert fold_migration(before, migration).materialized_views == after.materialized_views


def test_version_bump_backfill_is_a_backfill_table_delta() -> None:
    old = Table(name="events", columns=(Column(name="id", data_type=Simple("String")),), order_by=("id",))
    new = attrs.evolve(old, name="events_2_0", version="2.0")
    before, after = InfraMap.of(DB, tables=[old]), InfraMap.of(DB, tables=[new])
    operations = make_plan(PlanRequest(current=before, target=after, approvals=YES, dialect=CLICKHOUSE)).operations
    deltas = deltas_from_operations(operations, before, target=after)
    assert [type(x).__name__ for x in deltas] == ["CreateTable", "BackfillTable", "DropTable"]
    backfill = deltas[1]
    assert isinstance(backfill, d.BackfillTable)
    assert (backfill.source_table, backfill.target_table, backfill.columns) == ("events", "events_2_0", ("id",))
    assert lower_deltas(deltas, before) == list(operations)


def test_raw_sql_delta_lowers_to_raw_sql() -> None:
    raw = d.RawSql(sql=("SELECT 1", "SELECT 2"), description="checks")
    assert lower_deltas([raw], InfraMap(default_database=DB)) == [
        ops.RawSql(sql=("SELECT 1", "SELECT 2"), description="checks")]
    text = migration_to_yaml(new_migration((raw,), "h", now=NOW), CLICKHOUSE)
    assert "- type: RawSql\n  sql:\n  - SELECT 1\n  - SELECT 2\n  description: checks\n" in text


def test_operations_with_no_delta_form_are_refused() -> None:
    @attrs.frozen(kw_only=True)
    class CreateTopic(ops.Operation):
        name: str

    with pytest.raises(FoldError, match="cannot be written to a migration file"):
        deltas_from_operations([CreateTopic(name="t")], InfraMap(default_database=DB))


# -- the fold -------------------------------------------------------------------------------------------------


def test_fold_errors_name_the_file_and_the_delta() -> None:
    column = Column(name="c", data_type=Simple("String"))
    migration = new_migration((d.AddTableColumn(table_id="db_missing", column=column),), "h", now=NOW)
    with pytest.raises(FoldError) as caught:
        fold_migration(InfraMap(default_database=DB), migration)
    assert caught.value.problem == (f"{migration.file_name}: deltas[0] (AddTableColumn: add column c to db_missing "
                                    f"(first)): table 'db_missing' does not exist")
    table = Table(name="t", columns=(column,))
    twice = new_migration((d.CreateTable(table=table), d.CreateTable(table=table)), "h", now=NOW)
    with pytest.raises(FoldError, match=r"deltas\[1\] \(CreateTable: .*already exists"):
        fold_migration(InfraMap(default_database=DB), twice)


# -- the state hash -------------------------------------------------------------------------------------------


def _declared() -> InfraMap:
    table = Table(name="events", columns=(Column(name="id", data_type=Simple("String"), primary_key=True),
                                          Column(name="ts", data_type=Simple("DateTime"))),
                  order_by=("id",), ttl="ts + INTERVAL 30 DAY", life_cycle=LifeCycle.DELETION_PROTECTED,
                  metadata=Metadata(description="events"), version=None)
    view = View(name="recent", select_sql="select id from events where ts > now()", source_tables=("events",))
    return InfraMap.of("local", tables=[table], views=[view])


def test_hash_ignores_what_the_server_reformats_and_what_it_cannot_know() -> None:
    declared = _declared()
    table = declared.tables['"local"."events"']
    as_read_back = InfraMap.of("local", tables=[attrs.evolve(
        table, database="local", ttl="ts + toIntervalDay(30)", life_cycle=LifeCycle.FULLY_MANAGED, metadata=None,
        settings={"index_granularity": "8192"})], views=[View(
            name="recent", database="local", select_sql="SELECT id FROM local.events WHERE ts > now()")])
    assert state_hash(as_read_back, CLICKHOUSE) == state_hash(declared, CLICKHOUSE)
    elsewhere = InfraMap.of("other_db", tables=[table], views=list(declared.views.values()))
    assert state_hash(elsewhere, CLICKHOUSE) == state_hash(declared,
                                                           CLICKHOUSE)  # the default database's name does not count


def test_hash_sees_schema_changes() -> None:
    declared = _declared()
    table = declared.tables['"local"."events"']
    wider = attrs.evolve(table, columns=(*table.columns, Column(name="x", data_type=Simple("String"))))
    assert state_hash(InfraMap.of("local", tables=[wider]), CLICKHOUSE) != state_hash(declared, CLICKHOUSE)
    assert state_hash(attrs.evolve(declared, views={}), CLICKHOUSE) != state_hash(declared, CLICKHOUSE)
    moved = attrs.evolve(table, database="archive")
    assert state_hash(InfraMap.of("local", tables=[moved], views=list(declared.views.values())),
                      CLICKHOUSE) != state_hash(
        declared, CLICKHOUSE)


# -- generation on top of unapplied files ----------------------------------------------------------------------


def test_files_generated_before_a_deploy_chain_their_parent_hashes() -> None:
    empty = InfraMap(default_database=DB)
    first_state = InfraMap.of(DB, tables=[Table(name="t", columns=(Column(name="a", data_type=Simple("String")),))])
    pending = pending_state(empty, [], [], CLICKHOUSE)
    first = migration_for_plan(make_plan(PlanRequest(current=pending.state, target=first_state, approvals=YES,
                                                     dialect=CLICKHOUSE)),
                               pending, first_state, now=NOW)
    assert first is not None and first.parent_state_hash == state_hash(empty, CLICKHOUSE)
    second_state = InfraMap.of(DB, tables=[attrs.evolve(first_state.tables['"db"."t"'], columns=(
        Column(name="a", data_type=Simple("String")), Column(name="b", data_type=Simple("UInt8"))))])
    pending = pending_state(empty, [first], [], CLICKHOUSE)  # the first is committed, not applied
    assert pending.state.tables.keys() == first_state.tables.keys() and not pending.warnings
    second = migration_for_plan(make_plan(PlanRequest(current=pending.state, target=second_state,
                                                      approvals=YES, dialect=CLICKHOUSE)),
                                pending, second_state, now=NOW)
    assert second is not None and second.id > first.id
    assert [type(x).__name__ for x in second.deltas] == ["AddTableColumn"]
    assert second.parent_state_hash == state_hash(fold_migration(empty, first), CLICKHOUSE)
    assert pending_state(first_state, [first], [first.id], CLICKHOUSE).unapplied == ()
    nothing = pending_state(second_state, [first, second], [first.id, second.id], CLICKHOUSE)
    assert migration_for_plan(make_plan(PlanRequest(current=nothing.state, target=second_state, dialect=CLICKHOUSE)),
                              nothing,
                              second_state) is None
    extra = Table(name="x", columns=(Column(name="a", data_type=Simple("String")),))
    drifted = pending_state(InfraMap.of(DB, tables=[*first_state.tables.values(), extra]), [first, second],
                            [first.id], CLICKHOUSE)  # someone created table x by hand
    assert len(drifted.warnings) == 1 and second.file_name in drifted.warnings[0]
    with pytest.raises(FoldError, match="part-applied"):  # second applied by hand, never recorded
        pending_state(second_state, [first, second], [first.id], CLICKHOUSE)


@given(st.text(max_size=30))
def test_slug_is_always_a_safe_file_name_part(description: str) -> None:
    value = slug(description)
    assert value and set(value) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
    assert not value.startswith("_") and not value.endswith("_")
