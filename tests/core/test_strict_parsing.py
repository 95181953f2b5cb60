"""Strict parsing of the user-editable files: plan.yaml, delta files and the two JSON snapshots.

A file is UTF-8 and bounded in size; YAML anchors and aliases are refused before anything is built; every value
has its field's type (no conversions: ``"false"`` is not a boolean, a string is not a list of statements);
messages quote at most a short prefix of a value; whatever is wrong, the result is a :class:`PlanInvalid` with
one line per problem, never another exception.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.errors import PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.files import plan_yaml
from muskox.files.delta import load_migrations, migration_from_yaml
from muskox.files.plan_yaml import (
    MAX_FILE_BYTES,
    Plan,
    dump_yaml,
    is_timestamp,
    plan_from_yaml,
    plan_to_yaml,
    read_text_file,
)
from muskox.files.snapshot import infra_map_from_text, read_snapshot
from muskox.model import Column, Table, TableIndex, TableProjection
from muskox.model.codec import SHOWN_CHARS, model_codec
from muskox.model.operations import (
    BUILTIN_OPERATIONS,
    AddTableColumn,
    AddTableIndex,
    CreateTable,
    CreateView,
    DropTable,
    ModifyTableSettings,
    Operation,
    RawSql,
)
from muskox.model.topic_operations import IncreaseTopicPartitions
from muskox.model.types import Simple
from muskox.testing.strategies import identifiers, tables
from muskox_clickhouse.dialect import CLICKHOUSE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "moose-cli-0.6.533"
MOOSE_PLAN = (FIXTURES / "snapshot-mode" / "step2" / "plan.yaml").read_text()
MOOSE_STATE = (FIXTURES / "snapshot-mode" / "step2" / "remote_state.json").read_text()
MOOSE_DELTA = sorted((FIXTURES / "delta-mode").glob("*.yaml"))[0]
TYPES: dict[str, type[Operation]] = {**BUILTIN_OPERATIONS, "IncreaseTopicPartitions": IncreaseTopicPartitions}
CREATED = "created_at: 2026-01-01T00:00:00Z\n"
LONG = "x" * 10_000
LONG_KEY = "x" * 1000  # YAML keys are at most 1024 characters


def read_plan(text: str) -> Plan:
    return plan_from_yaml(text, TYPES, CLICKHOUSE)


def problems_of(text: str) -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        read_plan(text)
    return caught.value.problems or [caught.value.problem]


def delta_text(*deltas: str) -> str:
    return ("id: 20260101_000000_000_m\ndescription: m\nparent_state_hash: abc\ndeltas:\n" + "".join(deltas)
            + "created_at: 2026-01-01T00:00:00Z\n")


def delta_problems(text: str) -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        migration_from_yaml(text, "m.yaml", CLICKHOUSE)
    return caught.value.problems or [caught.value.problem]


# -- YAML anchors and aliases --------------------------------------------------------------------------------


def billion_laughs(levels: int = 12) -> str:
    """An alias bomb: 9**levels strings from a few hundred bytes."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return CREATED + "\n".join(lines) + f"\noperations:\n- RawSql:\n    sql: *l{levels - 1}\n"


def test_an_alias_bomb_is_refused_before_anything_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object) -> None:
        raise AssertionError("the document was built")

    monkeypatch.setattr(plan_yaml._Loader, "construct_document", never)
    with pytest.raises(PlanInvalid) as caught:
        read_plan(billion_laughs())
    message = caught.value.one_line()
    assert message.startswith("plan.yaml: line 2: YAML anchors and aliases are not allowed (found '&l0')")
    assert "\n" not in message
    assert caught.value.exit_code == ExitCode.PLAN_INVALID


def test_an_alias_bomb_in_a_delta_file_is_refused() -> None:
    bomb = billion_laughs().replace(CREATED, "").replace("operations:\n- RawSql:\n    sql:",
                                                         "deltas:\n- type: RawSql\n  sql:")
    message = delta_problems("id: x\n" + bomb)[0]
    assert message.startswith("m.yaml: line 2: YAML anchors and aliases are not allowed")


@pytest.mark.parametrize("text", [
    CREATED + "operations: &ops []\n",
    "created_at: &t 2026-01-01T00:00:00Z\noperations: []\nx: *t\n",
    CREATED + "operations:\n- DropTable: &d\n    table: t\n- DropTable: *d\n",
    CREATED + "operations: [{DropTable: {table: &n t}}, {DropTable: {table: *n}}]\n",
    '{"created_at": "2026-01-01T00:00:00Z", "operations": [{"DropTable": {"table":&n "t"}}]}',
    CREATED + "operations:\n- DropTable:\n    ? &k table\n    : t\n",
    CREATED + "operations:\n- DropTable:\n    table: !!str &n t\n",
    "\ufeff&top\n" + CREATED,
])
def test_every_anchor_and_alias_is_refused(text: str) -> None:
    problems = problems_of(text)
    assert len(problems) == 1 and "YAML anchors and aliases are not allowed" in problems[0], problems


@pytest.mark.parametrize("sql", ["SELECT * FROM t", "SELECT count(*) FROM t", "SELECT a*b, a & b FROM t",
                                 "SELECT 1 -- &a *b", "a *b", "&x", "*x"])
def test_ampersands_and_stars_in_values_are_not_anchors(sql: str) -> None:
    plan = Plan(created_at="2026-01-01T00:00:00Z", operations=(RawSql(sql=(sql,), description=sql),))
    assert read_plan(plan_to_yaml(plan, CLICKHOUSE)) == plan
    text = CREATED + f"operations:\n- RawSql:\n    sql:\n    - {json.dumps(sql)}\n"
    assert read_plan(text).operations == (RawSql(sql=(sql,)),)


def test_a_tagged_scalar_in_a_delta_file_is_checked_for_aliases_too() -> None:
    text = delta_text("- type: CreateTable\n  table:\n    name: t\n    columns: []\n"
                      "    engine: !ReplacingMergeTree '{ver: &v a, is_deleted: *v}'\n")
    problems = delta_problems(text)
    assert "anchors and aliases are not allowed" in problems[0] and problems[0].startswith("m.yaml: not valid YAML")


# -- size, encoding and shape --------------------------------------------------------------------------------


def test_files_over_the_size_bound_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "plan.yaml"
    with big.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing written
    with pytest.raises(PlanInvalid, match=r"plan\.yaml: the file is larger than 64 MiB, the most muskox reads"):
        read_text_file(big)
    big.write_bytes(b"#" * 100)
    assert read_text_file(big) == "#" * 100
    with pytest.raises(PlanInvalid, match="larger than 64 MiB"):
        read_plan("#" * (MAX_FILE_BYTES + 1))


def write_snapshot_dir(directory: Path, plan: bytes = b"", state: bytes = b"", local: bytes = b"") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "plan.yaml").write_bytes(plan or (CREATED + "operations: []\n").encode())
    (directory / "remote_state.json").write_bytes(state or MOOSE_STATE.encode())
    (directory / "local_infra_map.json").write_bytes(local or MOOSE_STATE.encode())
    return directory


NOT_UTF8 = b"created_at: 2026-01-01T00:00:00Z\noperations:\n- DropTable:\n    table: caf\xe9\n"


@pytest.mark.parametrize(("name", "files"), [
    ("plan.yaml", {"plan": NOT_UTF8}),
    ("remote_state.json", {"state": MOOSE_STATE.encode().replace(b'"events"', b'"ev\xffnts"', 1)}),
    ("local_infra_map.json", {"local": b"\xfe\xff{}"}),
])
def test_a_file_that_is_not_utf8_is_one_line(tmp_path: Path, name: str, files: dict[str, bytes]) -> None:
    directory = write_snapshot_dir(tmp_path / "migrations", **files)
    with pytest.raises(PlanInvalid) as caught:
        read_snapshot(directory, TYPES, CLICKHOUSE)
    message = caught.value.one_line()
    assert f"{name}: not UTF-8 text (line" in message and "\n" not in message


def test_a_delta_file_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    text = delta_text().encode()
    (tmp_path / "20260101_000000_000_m.yaml").write_bytes(text + b"# \xc3\x28\n")
    with pytest.raises(PlanInvalid) as caught:
        load_migrations(tmp_path, CLICKHOUSE)
    assert caught.value.problems == [
        f"20260101_000000_000_m.yaml: not UTF-8 text (line 6, byte {len(text) + 3} is not UTF-8)"]


SHAPES = ["", "   \n", "[]", "- a\n- b\n", "5", "null", '"text"', "true", "3.5"]


@pytest.mark.parametrize("text", SHAPES)
def test_a_plan_of_the_wrong_shape_is_one_line(text: str) -> None:
    with pytest.raises(PlanInvalid) as caught:
        read_plan(text)
    assert caught.value.one_line().startswith("plan.yaml: expected a mapping with created_at and operations, got ")
    assert "\n" not in caught.value.one_line()


@pytest.mark.parametrize("text", SHAPES)
def test_a_delta_file_of_the_wrong_shape_is_one_line(text: str) -> None:
    with pytest.raises(PlanInvalid) as caught:
        migration_from_yaml(text, "m.yaml", CLICKHOUSE)
    assert caught.value.one_line().startswith("m.yaml: expected a mapping with id, ")
    assert "\n" not in caught.value.one_line()


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"), ("[]", "got a list"), ("5", "got the integer 5"), ('"x"', "got the string 'x'"),
    ("null", "got null"), ("{", "not valid JSON at line 1, column 2"), ("[" * 100_000, "nested too deeply"),
    ('{"tables": NaN}', "NaN is not a JSON number"), ('{"tables": []}', "tables: expected a mapping, got a list"),
    ('{"tables": {"t": 5}}', "tables.t: expected a mapping, got the integer 5"),
    ('{"tables": {"t": {"name": "t", "columns": [{"name": "c", "data_type": "String", "required": "false"}]}}}',
     "tables.t: columns[0]: required: expected true or false, got the string 'false'"),
    ('{"views": {"v": {"name": "v", "selectSql": "SELECT 1", "sourceTables": "t"}}}',
     "views.v: sourceTables: expected a list of strings, got the string 't'"),
    ('{"topics": {"t": {"name": "t", "partition_count": "3"}}}',
     "topics.t: partition_count: expected an integer, got the string '3'"),
    ('{"tables": {"t": {"name": "t", "columns": [], "metadata": {"description": 5}}}}',
     "tables.t: metadata.description: expected a string, got the integer 5"),
])
def test_a_snapshot_of_the_wrong_shape_or_types_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PlanInvalid) as caught:
        infra_map_from_text(text, "remote_state.json", CLICKHOUSE)
    line = caught.value.one_line()
    assert line.startswith("remote_state.json: ") and message in line and "\n" not in line, line


# -- types of values ---------------------------------------------------------------------------------------------


def add_column(**column: object) -> str:
    fields = {"name": "c", "data_type": "String", "required": True, **column}
    return CREATED + "operations:\n" + dump_yaml([{"AddTableColumn": {"table": "t", "column": fields}}])


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("required", "false", "required: expected true or false, got the string 'false'"),
    ("required", "true", "required: expected true or false, got the string 'true'"),
    ("required", 0, "required: expected true or false, got the integer 0"),
    ("required", None, "required: expected true or false, got null"),
    ("primary_key", "yes", "primary_key: expected true or false, got the string 'yes'"),
    ("unique", 1, "unique: expected true or false, got the integer 1"),
    ("default", 0, "default: expected a string, got the integer 0"),
    ("comment", ["a"], "comment: expected a string, got a list"),
    ("annotations", [["LowCardinality", "true"]],
     "annotations.LowCardinality: expected true or false, got the string 'true'"),
    ("annotations", "LowCardinality", "annotations: expected a list, got the string 'LowCardinality'"),
    ("data_type", 5, "data_type: expected a type name or a mapping, got the integer 5"),
    ("name", True, "name: expected a string, got the boolean true"),
])
def test_column_values_must_have_their_fields_type(field: str, value: object, expected: str) -> None:
    assert problems_of(add_column(**{field: value})) == [f"plan.yaml: operations[0].AddTableColumn.column: {expected}"]


def test_required_false_as_a_boolean_is_still_read() -> None:
    (operation,) = read_plan(add_column(required=False)).operations
    assert isinstance(operation, AddTableColumn) and operation.column.nullable


@pytest.mark.parametrize(("operation", "expected"), [
    ({"RawSql": {"sql": "SELECT 1"}}, "RawSql.sql: expected a list of strings, got the string 'SELECT 1'"),
    ({"RawSql": {"sql": ["SELECT 1", 2]}}, "RawSql.sql[1]: expected a string, got the integer 2"),
    ({"RawSql": {"sql": {"a": "b"}}}, "RawSql.sql: expected a list of strings, got a mapping with key(s) 'a'"),
    ({"RawSql": {"sql": ["SELECT 1"], "description": False}},
     "RawSql.description: expected a string, got the boolean false"),
    ({"DropTable": {"table": 5}}, "DropTable.table: expected a string, got the integer 5"),
    ({"DropTable": {"table": "t", "database": ["d"]}}, "DropTable.database: expected a string, got a list"),
    ({"IncreaseTopicPartitions": {"topic": "t", "before_partitions": "1", "after_partitions": 2}},
     "IncreaseTopicPartitions.before_partitions: expected an integer, got the string '1'"),
    ({"IncreaseTopicPartitions": {"topic": "t", "before_partitions": 1, "after_partitions": True}},
     "IncreaseTopicPartitions.after_partitions: expected an integer, got the boolean true"),
    ({"ModifyTableSettings": {"table": "t", "after_settings": {"index_granularity": 8192}}},
     "ModifyTableSettings.after_settings.index_granularity: expected a string, got the integer 8192"),
    ({"ModifyTableSettings": {"table": "t", "after_settings": ["a"]}},
     "ModifyTableSettings.after_settings: expected a mapping, got a list"),
    ({"AddTableIndex": {"table": "t", "index": {"name": "i", "expression": "c", "type": "set",
                                                  "arguments": "100", "granularity": 1}}},
     "AddTableIndex.index: arguments: expected a list of strings, got the string '100'"),
    ({"AddTableIndex": {"table": "t", "index": {"name": "i", "expression": "c", "type": "set", "granularity": "4"}}},
     "AddTableIndex.index: granularity: expected an integer, got the string '4'"),
    ({"CreateTable": {"table": {"name": "t", "columns": {"c": "String"}}}},
     "CreateTable.table: columns: expected a list, got a mapping with key(s) 'c'"),
    ({"CreateTable": {"table": {"name": "t", "columns": [], "order_by": {"a": 1}}}},
     "CreateTable.table: order_by: expected a list of strings, got a mapping with key(s) 'a'"),
    ({"CreateTable": {"table": {"name": "t", "columns": [], "life_cycle": "SOMETIMES"}}},
     "CreateTable.table: life_cycle: expected one of FULLY_MANAGED, DELETION_PROTECTED, EXTERNALLY_MANAGED, "
     "got the string 'SOMETIMES'"),
    ({"CreateTable": {"table": {"name": "t", "columns": [], "engine": {"ReplacingMergeTree": {"ver": 1}}}}},
     "CreateTable.table: engine ReplacingMergeTree.ver: expected a string, got the integer 1"),
    ({"CreateTable": {"table": {"name": "t", "columns": [], "table_settings": {"a": True}}}},
     "CreateTable.table: table_settings.a: expected a string, got the boolean true"),
])
def test_operation_values_must_have_their_fields_type(operation: dict[str, Any], expected: str) -> None:
    assert problems_of(CREATED + "operations:\n" + dump_yaml([operation])) == [f"plan.yaml: operations[0].{expected}"]


@pytest.mark.parametrize("created_at", ["2026-11-23T06:36:11.481102136Z", "2026-01-01T00:00:00Z",
                                        "2026-01-01T10:00:00+02:00", "2026-01-01 10:00:00.5-05:30",
                                        "2016-12-31T23:59:60Z"])
def test_created_at_accepts_rfc3339_timestamps(created_at: str) -> None:
    assert is_timestamp(created_at)
    assert read_plan(f"created_at: {created_at}\noperations: []\n").created_at == created_at
    assert read_plan(f"created_at: '{created_at}'\noperations: []\n").created_at == created_at


@pytest.mark.parametrize("created_at", ["yesterday", "'2026-01-01'", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                                        "2026-01-01T25:00:00Z", "2026-01-01T00:00:00", "'2026-01-01T00:00:00Z x'",
                                        "5", "true", "null", "[2026]"])
def test_created_at_refuses_anything_else(created_at: str) -> None:
    (problem,) = problems_of(f"created_at: {created_at}\noperations: []\n")
    assert problem.startswith("plan.yaml: created_at: expected an RFC 3339 timestamp (like 2026-03-01T10:30:00Z)")
    (problem,) = delta_problems(delta_text().replace("2026-01-01T00:00:00Z", created_at))
    assert problem.startswith("m.yaml: created_at: expected ")


@pytest.mark.parametrize(("delta", "expected"), [
    ("- type: RawSql\n  sql: SELECT 1\n", "(RawSql).sql: expected a list of strings, got the string 'SELECT 1'"),
    ("- type: RawSql\n  sql: [SELECT 1, [2]]\n", "(RawSql).sql[1]: expected a string, got a list"),
    ("- type: DropTableColumn\n  table_id: t\n  column_name: 5\n",
     "(DropTableColumn).column_name: expected a string, got the integer 5"),
    ("- type: IncreaseTopicPartitions\n  topic_name: t\n  before: '1'\n  after: 2\n",
     "(IncreaseTopicPartitions).before: expected an integer, got the string '1'"),
    ("- type: ModifyTableSettings\n  table_id: t\n  after: {index_granularity: true}\n",
     "(ModifyTableSettings).after.index_granularity: expected a string, got the boolean true"),
    ("- type: DropView\n  view: {name: v, selectSql: SELECT 1}\n  policy: {description: [x]}\n",
     "(DropView): unknown field 'policy'"),
    ("- type: DropTopic\n  topic: {name: t}\n  policy: {description: 5}\n",
     "(DropTopic).policy.description: expected a string, got the integer 5"),
    ("- type: AddTableColumn\n  table_id: t\n  column: {name: c, data_type: String, required: 'false'}\n",
     "(AddTableColumn).column: required: expected true or false, got the string 'false'"),
    ("- type: AddTableColumn\n  table_id: t\n  column: {data_type: String}\n",
     "(AddTableColumn).column: name: required field missing"),
    ("- type: BackfillTable\n  source_table: a\n  target_table: b\n  columns: c\n  sql: INSERT\n",
     "(BackfillTable).columns: expected a list of strings, got the string 'c'"),
])
def test_delta_values_must_have_their_fields_type(delta: str, expected: str) -> None:
    assert delta_problems(delta_text(delta)) == [f"m.yaml: deltas[0] {expected}"]


def test_a_delta_reports_bad_scalars_and_bad_model_values_together() -> None:
    problems = delta_problems(delta_text("- type: AddTableColumn\n  table_id: 5\n  column: {name: c, data_type: 7}\n"))
    assert problems == ["m.yaml: deltas[0] (AddTableColumn).table_id: expected a string, got the integer 5",
                        "m.yaml: deltas[0] (AddTableColumn).column: data_type: expected a type name or a mapping, "
                        "got the integer 7"]


# -- messages quote at most a short prefix -------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    CREATED + f"{LONG_KEY}: 1\noperations: []\n",
    CREATED + f"operations:\n- {LONG_KEY}: {{}}\n",
    CREATED + f"operations:\n- DropTable:\n    table: t\n    {LONG_KEY}: 1\n",
    CREATED + f"operations:\n- ModifyTableSettings:\n    table: t\n    after_settings: {{{LONG_KEY}: 1}}\n",
    add_column(required=LONG),
    add_column(data_type=LONG + "("),
    add_column(data_type={LONG: 1}),
    add_column(name={"a": LONG}),
    CREATED + "operations:\n" + dump_yaml([{"CreateTable": {"table": {"name": "t", "columns": [], "engine": LONG}}}]),
    CREATED + "operations:\n" + dump_yaml([{"CreateTable": {"table": {"name": "t", "columns": [],
                                                                       "life_cycle": LONG}}}]),
    f"created_at: {LONG}\noperations: []\n",
    CREATED + f"operations: !{LONG} 1\n",
    CREATED + f"operations:\n- RawSql:\n    sql: {LONG}\n",
])
def test_messages_quote_at_most_a_short_prefix_of_a_value(text: str) -> None:
    with pytest.raises(PlanInvalid) as caught:
        read_plan(text)
    message = caught.value.one_line()
    assert "x" * (SHOWN_CHARS + 1) not in message, message


@pytest.mark.parametrize("delta", [
    f"- type: {LONG}\n", f"- type: DropTableColumn\n  table_id: t\n  column_name: [{LONG}]\n  {LONG_KEY}: 1\n",
    f"- type: RawSql\n  sql: {LONG}\n", f"- type: ModifyTableTtl\n  table_id: t\n  after: {{a: {LONG}}}\n",
])
def test_delta_messages_quote_at_most_a_short_prefix_of_a_value(delta: str) -> None:
    message = "\n".join(delta_problems(delta_text(delta)))
    assert "x" * (SHOWN_CHARS + 1) not in message, message


def test_snapshot_messages_quote_at_most_a_short_prefix_of_a_value() -> None:
    state = json.loads(MOOSE_STATE)
    next(iter(state["tables"].values()))["columns"][0]["data_type"] = LONG + "("
    with pytest.raises(PlanInvalid) as caught:
        infra_map_from_text(json.dumps(state), "remote_state.json", CLICKHOUSE)
    assert "x" * (SHOWN_CHARS + 1) not in caught.value.one_line() and "…" in caught.value.one_line()


# -- nothing but PlanInvalid, whatever the edit ------------------------------------------------------------------


def column(name: str) -> Column:
    return Column(name=name, data_type=Simple("String"))


OPERATIONS: st.SearchStrategy[Operation] = st.one_of(
    tables().map(lambda t: CreateTable(table=t)),
    st.builds(DropTable, table=identifiers, database=st.one_of(st.none(), identifiers)),
    st.builds(AddTableColumn, table=identifiers, column=identifiers.map(column),
              after_column=st.one_of(st.none(), identifiers)),
    st.builds(ModifyTableSettings, table=identifiers,
              after_settings=st.one_of(st.none(), st.dictionaries(identifiers, st.text(max_size=5)))),
    st.builds(AddTableIndex, table=identifiers, index=st.builds(
        TableIndex, name=identifiers, expression=st.text(min_size=1), type=st.sampled_from(["minmax", "set"]),
        arguments=st.lists(st.text(max_size=4)).map(tuple), granularity=st.integers(1, 100))),
    st.builds(CreateView, name=identifiers, select_sql=st.text(min_size=1)),
    st.builds(RawSql, sql=st.lists(st.text(), min_size=1).map(tuple), description=st.text()),
    st.builds(IncreaseTopicPartitions, topic=identifiers, before_partitions=st.integers(1, 9),
              after_partitions=st.integers(10, 99)),
)

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), st.binary(max_size=4),
    st.sampled_from(["true", "false", "null", "1", "", "2026-01-01", "String", "FULLY_MANAGED", "*a", "&a", "x" * 200,
                     "MergeTree", "ReplacingMergeTree", "Other"]),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), st.one_of(st.none(), st.text(max_size=4)),
                    max_size=3),
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``data`` (the root included), as the keys and indexes that lead there."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, data: Any, edits: int = 3) -> Any:
    """``data`` with a few random edits: a value replaced by one of another kind, a key removed or added."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, edits))):
        path = draw(st.sampled_from(paths(data)))
        if not path:
            return draw(ODD_VALUES)
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(["name", "extra", "required", "type", "sql", "columns", "engine"]))] \
                = draw(ODD_VALUES)
        else:
            parent[path[-1]] = draw(ODD_VALUES)
    return data


def assert_only_plan_invalid(read: Any, text: str) -> None:
    try:
        read(text)
    except PlanInvalid as exc:
        lines = exc.problems or [exc.problem]
        assert all("\n" not in line and line for line in lines), lines
        assert "x" * (SHOWN_CHARS + 1) not in exc.one_line()


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.data(), st.lists(OPERATIONS, min_size=1, max_size=4))
def test_edited_plans_are_read_or_refused_with_plan_invalid(data: st.DataObject, ops: list[Operation]) -> None:
    text = plan_to_yaml(Plan(created_at="2026-01-01T00:00:00Z", operations=tuple(ops)), CLICKHOUSE)
    plan_data = yaml.safe_load(text)
    plan_data["created_at"] = "2026-01-01T00:00:00Z"
    edited = data.draw(mutated(plan_data))
    assert_only_plan_invalid(read_plan, dump_yaml(edited))


@FUZZ
@given(st.data())
def test_edited_moose_plans_are_read_or_refused_with_plan_invalid(data: st.DataObject) -> None:
    plan_data = yaml.load(MOOSE_PLAN, Loader=plan_yaml._Loader)
    assert_only_plan_invalid(read_plan, dump_yaml(data.draw(mutated(plan_data))))


YAML_CHARACTERS = st.sampled_from([*"&*!|>-?:,[]{}#'\"%@` \n\t\\", "\x00", "\ufeff", "\u2028", "é", "x", "1"])


@FUZZ
@given(st.data())
def test_plan_text_with_random_characters_is_read_or_refused_with_plan_invalid(data: st.DataObject) -> None:
    text = MOOSE_PLAN
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        text = text[:at] + "".join(data.draw(st.lists(YAML_CHARACTERS, max_size=3))) + text[at + cut:]
    assert_only_plan_invalid(read_plan, text)


@FUZZ
@given(st.data())
def test_edited_snapshots_are_read_or_refused_with_plan_invalid(data: st.DataObject) -> None:
    state = data.draw(mutated(json.loads(MOOSE_STATE)))
    assert_only_plan_invalid(lambda text: infra_map_from_text(text, "remote_state.json", CLICKHOUSE),
                             json.dumps(state, default=repr))


@FUZZ
@given(st.data())
def test_edited_delta_files_are_read_or_refused_with_plan_invalid(data: st.DataObject) -> None:
    from muskox.files.delta import _Loader

    migration = yaml.load(MOOSE_DELTA.read_text(), Loader=_Loader)
    assert_only_plan_invalid(lambda text: migration_from_yaml(text, "m.yaml", CLICKHOUSE),
                             dump_yaml(data.draw(mutated(migration)), sort_keys=False))


def test_the_fuzzed_files_are_valid_before_the_edits() -> None:
    assert read_plan(MOOSE_PLAN).operations
    assert infra_map_from_text(MOOSE_STATE, "remote_state.json", CLICKHOUSE).tables
    from muskox.files.delta import _Loader

    migration = yaml.load(MOOSE_DELTA.read_text(), Loader=_Loader)
    assert migration_from_yaml(dump_yaml(migration, sort_keys=False), "m.yaml", CLICKHOUSE).deltas
    table = Table(name="t", columns=(column("c"),), projections=(TableProjection(name="p", body="SELECT c"),))
    codec = model_codec(CLICKHOUSE)
    assert codec.from_json(json.loads(json.dumps(codec.to_json(table))), Table) == table
