"""Composite types the server cannot ``MODIFY`` in place keep their values (issue 18, kind 4).

ClickHouse 26.9 refuses ``MODIFY COLUMN`` between unnamed tuples of different lengths, also inside an ``Array``
(``CAST AS Tuple can only be performed between tuple types with the same number of elements``). muskox plans
such a change as a ``RecreateTableWithCopy`` whose ``INSERT … SELECT`` rebuilds each value element by element.
Each case runs in snapshot and delta mode on the real server with rows in the table: every old element is still
there, a new element holds its type's default, and nothing is left to plan. Array of records declared from models
(``list[Model]``: ``Array(Nested(…))``, ``list[Annotated[Model, ClickHouseNamedTuple]]``: ``Array(Tuple(x …))``)
grow through the server's own conversion by element name, checked here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_migrate import muskox
from tests.e2e.test_safe_evolutions import MODES, evolve

IMPORTS = "from typing import Annotated, Any\nfrom muskox import ClickHouseNamedTuple, clickhouse_type\n"


@pytest.fixture(scope="module")
def sql(clickhouse_server: RunningServer) -> Iterator[Any]:
    with connect(parse_url(clickhouse_server.http_url)) as client:
        yield client


def table(*fields: str) -> str:
    lines = "".join(f"    {field}\n" for field in fields)
    return (IMPORTS + f"class Row(BaseModel):\n    id: Key[str]\n{lines}"
            't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')


def typed(name: str, type_text: str) -> str:
    return f'{name}: Annotated[Any, clickhouse_type("{type_text}")]'


@pytest.mark.parametrize("mode", MODES)
def test_unnamed_tuples_gain_an_element_and_keep_their_values(mode: str, tmp_path: Path,
                                                               clickhouse_server: RunningServer, sql: Any) -> None:
    before = table(typed("p", "Tuple(Int32, String)"), typed("r", "Array(Tuple(Int64, String))"))
    after = table(typed("p", "Tuple(Int64, String, Float64)"),
                  typed("r", "Array(Tuple(Int64, String, Nullable(String)))"))
    rows = ("VALUES ('a', (1, 'one'), [(10, 'x'), (11, 'y')]), ('b', (-2, 'two'), []), "
            "('c', (2147483647, ''), [(12, 'z')])")
    database = evolve(tmp_path, clickhouse_server, sql, "tuple_grow", mode, before, after, rows)
    assert sql.query(f"SELECT id, p, r, toTypeName(p), toTypeName(r) FROM {database}.t ORDER BY id") == [
        ("a", (1, "one", 0.0), [(10, "x", None), (11, "y", None)],
         "Tuple(Int64, String, Float64)", "Array(Tuple(Int64, String, Nullable(String)))"),
        ("b", (-2, "two", 0.0), [], "Tuple(Int64, String, Float64)",
         "Array(Tuple(Int64, String, Nullable(String)))"),
        ("c", (2147483647, "", 0.0), [(12, "z", None)], "Tuple(Int64, String, Float64)",
         "Array(Tuple(Int64, String, Nullable(String)))"),
    ]
    assert sql.query(f"SELECT name FROM system.tables WHERE database = '{database}' AND name != 't'") == []


@pytest.mark.parametrize("mode", MODES)
def test_unnamed_tuples_lose_an_element_and_keep_the_others(mode: str, tmp_path: Path,
                                                            clickhouse_server: RunningServer, sql: Any) -> None:
    before = table(typed("p", "Tuple(Int64, String, UInt8)"), typed("r", "Array(Tuple(String, UInt8))"))
    after = table(typed("p", "Tuple(Int64, String)"), typed("r", "Array(Tuple(String))"))
    database = evolve(tmp_path, clickhouse_server, sql, "tuple_shrink", mode, before, after,
                      "VALUES ('a', (1, 'one', 9), [('x', 1), ('y', 2)]), ('b', (2, 'two', 8), [])")
    assert sql.query(f"SELECT id, p, r FROM {database}.t ORDER BY id") == [
        ("a", (1, "one"), [("x",), ("y",)]), ("b", (2, "two"), []),
    ]


@pytest.mark.parametrize("mode", MODES)
def test_lists_of_records_gain_a_field(mode: str, tmp_path: Path, clickhouse_server: RunningServer,
                                       sql: Any) -> None:
    records = ("class Point(BaseModel):\n    x: int\n    label: str\n")
    before = IMPORTS + records + ("class Row(BaseModel):\n    id: Key[str]\n    a: list[Point]\n"
                                  "    b: list[Annotated[Point, ClickHouseNamedTuple]]\n"
                                  't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')
    after = before.replace("    label: str\n", "    label: str\n    weight: float = 0\n", 1)
    database = evolve(tmp_path, clickhouse_server, sql, "record_lists", mode, before, after,
                      "VALUES ('a', [[(1, 'one')], [(2, 'two'), (3, 'three')]], [(4, 'four')]), ('b', [], [])")
    types = "replaceRegexpAll(toTypeName(a), '\\\\s+', ' '), replaceRegexpAll(toTypeName(b), '\\\\s+', ' ')"
    assert sql.query(f"SELECT id, a, b, {types} FROM {database}.t ORDER BY id") == [
        ("a", [[{"x": 1, "label": "one", "weight": 0.0}],
               [{"x": 2, "label": "two", "weight": 0.0}, {"x": 3, "label": "three", "weight": 0.0}]],
         [{"x": 4, "label": "four", "weight": 0.0}],
         "Array(Nested(x Int64, label String, weight Float64))",
         "Array(Tuple( x Int64, label String, weight Float64))"),
        ("b", [], [], "Array(Nested(x Int64, label String, weight Float64))",
         "Array(Tuple( x Int64, label String, weight Float64))"),
    ]


def test_the_plan_shows_the_copy_and_flags_a_lost_element(tmp_path: Path, clickhouse_server: RunningServer,
                                                          sql: Any) -> None:
    """The plan is a recreate with a copy (gated as destructive), shows the rebuilding statement, and flags the
    loss of the values of a removed element."""
    before = table(typed("p", "Tuple(Int64, String)"))
    database = evolve(tmp_path, clickhouse_server, sql, "tuple_plan", "snapshot", before, before,
                      "VALUES ('a', (1, 'one'))")
    url = f"{clickhouse_server.http_url}/{database}"
    (tmp_path / "app" / "main.py").write_text((tmp_path / "app" / "main.py").read_text()
                                              .replace("Tuple(Int64, String)", "Tuple(Int64, String, Date)"))
    grown = muskox(tmp_path, "plan", "--clickhouse-url", url, "--sql")
    assert grown.returncode == 0, grown.stderr
    assert "Recreating table 't' with a copy of its rows" in grown.stdout
    assert "tupleElement(`p`, 3, defaultValueOfTypeName('Date'))" in grown.stdout
    assert "type_change_data_loss" not in grown.stdout
    (tmp_path / "app" / "main.py").write_text((tmp_path / "app" / "main.py").read_text()
                                              .replace("Tuple(Int64, String, Date)", "Tuple(Int64)"))
    shrunk = muskox(tmp_path, "plan", "--clickhouse-url", url)
    assert shrunk.returncode == 0, shrunk.stderr
    assert "type_change_data_loss" in shrunk.stdout
    assert sql.query(f"SELECT p FROM {database}.t") == [((1, "one"),)]  # planning ran nothing


@pytest.mark.parametrize("mode", MODES)
def test_a_recreate_keeps_the_rows_when_one_column_cannot_convert(mode: str, tmp_path: Path,
                                                                   clickhouse_server: RunningServer,
                                                                   sql: Any) -> None:
    """A table recreated (here: its ORDER BY and an unnamed tuple change) keeps its rows and the values of every
    column that converts; a column whose type does not convert (``String`` → ``Array(String)``) gets its default,
    as a drop and add would give it, instead of the whole table being dropped and created."""
    before = table(typed("p", "Tuple(Int64, String)"), "v: str", "n: int")
    after = (table(typed("p", "Tuple(Int64, String, UInt8)"), "v: list[str]", "n: int")
             .replace('order_by_fields=["id"]', 'order_by_fields=["n", "id"]'))
    database = evolve(tmp_path, clickhouse_server, sql, "recreate_mixed", mode, before, after,
                      "VALUES ('a', (1, 'one'), 'x', 10), ('b', (2, 'two'), 'y', 20)")
    assert sql.query(f"SELECT id, p, v, n FROM {database}.t ORDER BY id") == [
        ("a", (1, "one", 0), [], 10), ("b", (2, "two", 0), [], 20),
    ]
