"""plan.yaml: Moose's files read and write back byte for byte; hand edits are accepted; bad plans are explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from muskox.errors import PlanInvalid
from muskox.files.plan_yaml import Plan, plan_from_yaml, plan_to_yaml
from muskox.model import Column, TableIndex, TableProjection
from muskox.model.operations import (
    BUILTIN_OPERATIONS,
    AddTableColumn,
    AddTableIndex,
    AddTableProjection,
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropTable,
    DropTableColumn,
    ModifyTableColumn,
    ModifyTableSettings,
    ModifyTableTtl,
    Operation,
    RawSql,
    RenameTableColumn,
)
from muskox.model.types import Simple
from muskox.testing.strategies import identifiers, tables
from muskox_clickhouse.dialect import CLICKHOUSE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "moose-cli-0.6.533" / "snapshot-mode"
MOOSE_SCHEMA = "../.moose/migration_schema.json"
HASH_KEYS = ("engine_params_hash:", "table_settings_hash:")


@pytest.mark.parametrize("step", ["step1", "step2"])
def test_moose_plans_write_back_identically(step: str) -> None:
    text = (FIXTURES / step / "plan.yaml").read_text()
    plan = plan_from_yaml(text, BUILTIN_OPERATIONS, CLICKHOUSE)
    moose_lines = [line for line in text.splitlines() if not line.strip().startswith(HASH_KEYS)]
    assert plan_to_yaml(plan, CLICKHOUSE, schema=MOOSE_SCHEMA).splitlines() == moose_lines


def test_moose_step2_plan_reads_as_the_expected_operations() -> None:
    plan = plan_from_yaml((FIXTURES / "step2" / "plan.yaml").read_text(), BUILTIN_OPERATIONS, CLICKHOUSE)
    assert [type(op).__name__ for op in plan.operations] == [
        "DropTableColumn", "DropTableIndex", "ModifyTableTtl", "ModifyTableSettings", "AddTableColumn"]
    assert plan.created_at == "2026-11-23T06:36:11.481102136Z"
    assert plan.operations[0] == DropTableColumn(table="events", column_name="legacy_flag")


def test_hand_edited_plan_with_a_rename_and_raw_sql_is_accepted() -> None:
    text = """# yaml-language-server: $schema=plan.schema.json

created_at: 2026-03-01T10:30:00.123456Z
operations:
- RenameTableColumn:            # hand-edited: replaced DropTableColumn(name)+AddTableColumn(full_name)
    after_column_name: full_name
    before_column_name: name
    cluster_name: null
    database: null
    table: users
- RawSql:
    description: Backfill referrer
    sql:
    - ALTER TABLE events UPDATE referrer = '' WHERE referrer IS NULL
"""
    plan = plan_from_yaml(text, BUILTIN_OPERATIONS, CLICKHOUSE)
    assert plan.operations == (
        RenameTableColumn(table="users", before_column_name="name", after_column_name="full_name"),
        RawSql(sql=("ALTER TABLE events UPDATE referrer = '' WHERE referrer IS NULL",),
               description="Backfill referrer"),
    )


def test_missing_optional_fields_default_to_null() -> None:
    plan = plan_from_yaml("created_at: 2026-01-01T00:00:00Z\noperations:\n- DropTable:\n    table: t\n",
                          BUILTIN_OPERATIONS, CLICKHOUSE)
    assert plan.operations == (DropTable(table="t"),)


def test_every_problem_is_reported_with_its_path() -> None:
    text = """created_at: 2026-01-01T00:00:00Z
colour: red
operations:
- DropTable:
    table: t
- AddTableColumn:
    table: events
    column:
      name: c
      data_type: Strin g
- Nonsense: {}
- RenameTableColumn:
    table: users
    before_column_name: a
    after: b
- [not, a, mapping]
"""
    with pytest.raises(PlanInvalid) as info:
        plan_from_yaml(text, BUILTIN_OPERATIONS, CLICKHOUSE)
    problems = info.value.problems
    assert problems[0] == "plan.yaml: unknown top-level key 'colour'"
    bad_type = "plan.yaml: operations[1].AddTableColumn.column: data_type: cannot parse"
    assert any(p.startswith(bad_type) for p in problems)
    assert any(p.startswith("plan.yaml: operations[2]: unknown operation 'Nonsense'") for p in problems)
    assert "plan.yaml: operations[3].RenameTableColumn: unknown field(s) after" in problems
    assert "plan.yaml: operations[3].RenameTableColumn.after_column_name: required field missing" in problems
    assert any(p.startswith("plan.yaml: operations[4]: each operation must be a mapping") for p in problems)
    assert len(problems) == 6
    assert "regenerate" in info.value.one_line()


@pytest.mark.parametrize("text", ["operations: [", "created_at: x\noperations:\n  - : :\n", "- just a list"])
def test_broken_yaml_is_one_clear_error(text: str) -> None:
    with pytest.raises(PlanInvalid, match=r"plan\.yaml"):
        plan_from_yaml(text, BUILTIN_OPERATIONS, CLICKHOUSE)


def _column(name: str) -> Column:
    return Column(name=name, data_type=Simple("String"))


operations: st.SearchStrategy[Operation] = st.one_of(
    tables().map(lambda t: CreateTable(table=t)),
    st.builds(DropTable, table=identifiers, database=st.one_of(st.none(), identifiers)),
    st.builds(AddTableColumn, table=identifiers, column=identifiers.map(_column),
              after_column=st.one_of(st.none(), identifiers)),
    st.builds(ModifyTableColumn, table=identifiers, before_column=identifiers.map(_column),
              after_column=identifiers.map(_column)),
    st.builds(ModifyTableSettings, table=identifiers,
              before_settings=st.one_of(st.none(), st.dictionaries(identifiers, st.text(max_size=5))),
              after_settings=st.one_of(st.none(), st.dictionaries(identifiers, st.text(max_size=5)))),
    st.builds(ModifyTableTtl, table=identifiers, before=st.one_of(st.none(), st.text()),
              after=st.one_of(st.none(), st.text())),
    st.builds(AddTableIndex, table=identifiers, index=st.builds(
        TableIndex, name=identifiers, expression=st.text(min_size=1), type=st.sampled_from(["minmax", "set"]),
        arguments=st.lists(st.text(max_size=4)).map(tuple), granularity=st.integers(1, 100))),
    st.builds(AddTableProjection, table=identifiers,
              projection=st.builds(TableProjection, name=identifiers, body=st.text(min_size=1))),
    st.builds(CreateView, name=identifiers, select_sql=st.text(min_size=1)),
    st.builds(CreateMaterializedView, name=identifiers, select_sql=st.text(min_size=1), target_table=identifiers),
    st.builds(RawSql, sql=st.lists(st.text(), min_size=1).map(tuple), description=st.text()),
)


@settings(deadline=None)
@given(st.lists(operations, max_size=6))
def test_any_plan_round_trips(ops: list[Operation]) -> None:
    plan = Plan(created_at="2026-11-23T06:36:08.832820Z", operations=tuple(ops))
    assert plan_from_yaml(plan_to_yaml(plan, CLICKHOUSE), BUILTIN_OPERATIONS, CLICKHOUSE) == plan


def test_json_schema_is_valid_and_accepts_moose_plans() -> None:
    import json

    import jsonschema
    import yaml

    from muskox.files.json_schema import plan_schema

    schema = plan_schema(BUILTIN_OPERATIONS)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for step in ("step1", "step2"):
        data = json.loads(json.dumps(yaml.safe_load((FIXTURES / step / "plan.yaml").read_text()), default=str))
        assert list(validator.iter_errors(data)) == []
    bad = {"created_at": "x", "operations": [{"AddTableColumn": {"table": "t"}}]}
    assert [e.validator for e in validator.iter_errors(bad)] == ["oneOf"]
