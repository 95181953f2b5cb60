"""Property (issue 18): random schema pairs A → B with random rows in A; after ``migrate`` every row is still there.

The row count never changes, and a checksum of every column both schemas have with a conversion that keeps
values is the same before and after; columns the plan says lose data (dropped, or Nullable → not Nullable) are
left out of the checksum. No run may stop half-way (``generate`` and ``migrate`` both exit 0). Bounded: a few
examples, each a handful of CLI runs on the real server.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_migrate import muskox

HEADER = """
from typing import Annotated, Any, Optional
from pydantic import BaseModel
from muskox import Int32, Key, OlapConfig, OlapTable, UInt32, UInt64, clickhouse_type
"""
PAIR, TRIPLE = 'Annotated[Any, clickhouse_type("Tuple(Int32, String)")]', \
    'Annotated[Any, clickhouse_type("Tuple(Int64, String, UInt8)")]'
RECORDS, WIDER_RECORDS = 'Annotated[Any, clickhouse_type("Array(Tuple(Int32, String))")]', \
    'Annotated[Any, clickhouse_type("Array(Tuple(Int32, String, Float64))")]'

#: declared type → (how a value is written in SQL, values to draw from)
TYPES: dict[str, tuple[str, list[Any]]] = {
    "Int32": ("{}", [0, -5, 7, 2_000_000_000]),
    "int": ("{}", [0, -5, 7, 2_000_000_000]),
    "str": ("'{}'", ["", "x", "hello"]),
    "Optional[str] = None": ("'{}'", ["", "y", None]),
    PAIR: ("{}", ["(1, 'a')", "(-3, '')"]),
    TRIPLE: ("{}", ["(1, 'a', 2)", "(4, 'b', 0)"]),
    RECORDS: ("{}", ["[]", "[(1, 'a'), (2, 'b')]"]),
    WIDER_RECORDS: ("{}", ["[(5, 'c', 1.5)]"]),
}
#: what the checksum reads of a column of a composite type: the elements every type of its kind has
COMPARED = {PAIR: "tuple(`{0}`.1, `{0}`.2)", TRIPLE: "tuple(`{0}`.1, `{0}`.2)",
            RECORDS: "arrayMap(r -> tuple(r.1, r.2), `{0}`)", WIDER_RECORDS: "arrayMap(r -> tuple(r.1, r.2), `{0}`)"}
#: conversions that keep every value (the ones the checksum compares)
KEEPS = {("Int32", "Int32"), ("Int32", "int"), ("int", "int"), ("str", "str"), ("str", "Optional[str] = None"),
         ("Optional[str] = None", "Optional[str] = None"), (PAIR, PAIR), (PAIR, TRIPLE), (TRIPLE, TRIPLE),
         (RECORDS, RECORDS), (RECORDS, WIDER_RECORDS), (WIDER_RECORDS, WIDER_RECORDS)}

schemas = st.fixed_dictionaries({
    "key": st.sampled_from(["UInt32", "UInt64"]),
    "columns": st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(sorted(TYPES)), max_size=3),
})
COUNTER = itertools.count()


@pytest.fixture(scope="module")
def sql(clickhouse_server: RunningServer) -> Iterator[Any]:
    with connect(parse_url(clickhouse_server.http_url)) as client:
        yield client


def code(schema: dict[str, Any]) -> str:
    fields = "".join(f"    {name}: {declared}\n" for name, declared in schema["columns"].items())
    return (HEADER + f"class Row(BaseModel):\n    id: Key[{schema['key']}]\n{fields}"
            't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')


def literal(declared: str, value: Any) -> str:
    return "NULL" if value is None else TYPES[declared][0].format(value)


def checksum(sql: Any, database: str, columns: dict[str, str]) -> int:
    """A checksum of ``columns`` (name → declared type before), composite ones by :data:`COMPARED`."""
    if not columns:
        return 0
    hashed = ", ".join(f"ifNull(toString({COMPARED.get(declared, '`{0}`').format(name)}), '\\\\N')"
                       for name, declared in columns.items())
    return int(sql.query(f"SELECT sum(cityHash64(toString(id), {hashed})) FROM {database}.t")[0][0])


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(before=schemas, after=schemas, data=st.data())
def test_random_evolutions_keep_every_row(before: dict[str, Any], after: dict[str, Any], data: st.DataObject,
                                          clickhouse_server: RunningServer, sql: Any, tmp_path: Path) -> None:
    database = f"keeps_rows_{next(COUNTER)}"
    directory = tmp_path / database
    (directory / "app").mkdir(parents=True)
    (directory / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                           '[state_config]\nstorage = "file"\n')
    url = f"{clickhouse_server.http_url}/{database}"

    def migrate(schema: dict[str, Any]) -> None:
        (directory / "app" / "main.py").write_text(code(schema))
        for args in (("generate", "migration", "--save", "--yes-all"), ("migrate",)):
            result = muskox(directory, *args, "--clickhouse-url", url)
            assert result.returncode == 0, f"{args[0]}: {result.stderr}"

    migrate(before)
    count = data.draw(st.integers(min_value=1, max_value=20), label="rows")
    names = list(before["columns"])
    rows = []
    for number in range(count):
        values = [literal(before["columns"][n], data.draw(st.sampled_from(TYPES[before["columns"][n]][1])))
                  for n in names]
        rows.append(f"({', '.join([str(number), *values])})")
    listed = ", ".join(["id", *names])
    sql.command(f"INSERT INTO {database}.t ({listed}) VALUES {', '.join(rows)}")
    kept = {n: declared for n, declared in sorted(before["columns"].items())
            if (declared, after["columns"].get(n)) in KEEPS}
    expected = checksum(sql, database, kept)

    migrate(after)
    assert sql.query(f"SELECT count() FROM {database}.t")[0][0] == count
    assert checksum(sql, database, kept) == expected
    sql.command(f"DROP DATABASE IF EXISTS {database}")
