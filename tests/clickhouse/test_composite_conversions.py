"""The conversion expressions of composite types the server cannot ``MODIFY`` (issue 18), on the real server.

Random unnamed tuples (alone or in an ``Array``) gain and lose trailing elements and widen the ones they keep;
random values of the old type go through :func:`conversion_sql`: every kept element keeps its value, every new
element holds its type's default, and converting an already converted value changes nothing (what a
``migrate --resume`` after the ``EXCHANGE`` relies on). The table of conversions (:func:`is_widening`) says a
change keeps every value exactly when no element is removed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.model.types import Array, DataType, Tuple, TupleElement
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.dialect.type_conversions import conversion_sql, convertible, converts_by_copy, is_widening
from muskox_clickhouse.dialect.type_text import parse_type, render_type
from muskox_clickhouse.local import RunningServer

#: element type → (values to draw, as SQL and as the server returns them), its default as returned
ELEMENTS: dict[str, tuple[list[tuple[str, Any]], Any]] = {
    "Int32": ([("0", 0), ("-7", -7), ("2147483647", 2147483647)], 0),
    "Int64": ([("5", 5), ("-9223372036854775808", -9223372036854775808)], 0),
    "String": ([("''", ""), ("'x'", "x"), ("'a,b)'", "a,b)")], ""),
    "Nullable(String)": ([("NULL", None), ("'n'", "n")], None),
    "Float64": ([("1.5", 1.5), ("-0.25", -0.25)], 0.0),
    "Date": ([("'2024-02-29'", datetime.date(2024, 2, 29))], datetime.date(1970, 1, 1)),
}
WIDER = {"Int32": "Int64"}


@pytest.fixture(scope="module")
def sql(clickhouse_server: RunningServer) -> Iterator[Any]:
    with connect(parse_url(clickhouse_server.http_url)) as client:
        yield client


@st.composite
def evolutions(draw: st.DrawFn) -> tuple[list[str], list[str], bool]:
    """``(element types before, after, inside an Array)``: after keeps a prefix (some widened) or adds some."""
    before = draw(st.lists(st.sampled_from(sorted(ELEMENTS)), min_size=1, max_size=4))
    grows = draw(st.booleans())  # elements are matched by position: a tuple grows or shrinks at its end
    kept = len(before) if grows else draw(st.integers(min_value=1, max_value=len(before)))
    widened = [WIDER.get(t, t) if draw(st.booleans()) else t for t in before[:kept]]
    added = draw(st.lists(st.sampled_from(sorted(ELEMENTS)), max_size=3)) if grows else []
    after = widened + added
    return before, after, draw(st.booleans())


def tuple_type(elements: list[str], in_array: bool) -> DataType:
    made: DataType = Tuple(tuple(TupleElement(None, parse_type(t)) for t in elements))
    return Array(made) if in_array else made


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=evolutions(), data=st.data())
def test_kept_elements_keep_their_values_and_new_ones_get_defaults(change: tuple[list[str], list[str], bool],
                                                                   data: st.DataObject, sql: Any) -> None:
    before, after, in_array = change
    old, new = tuple_type(before, in_array), tuple_type(after, in_array)
    if len(before) == len(after):
        assert convertible(old, new) and not converts_by_copy(old, new)  # the server's own MODIFY does it
    else:
        assert converts_by_copy(old, new) and not convertible(old, new)
    assert is_widening(old, new) == (len(after) >= len(before))
    count = data.draw(st.integers(min_value=1, max_value=3)) if in_array else 1
    records = [[data.draw(st.sampled_from(ELEMENTS[t][0])) for t in before] for _ in range(count)]
    literals = [f"tuple({', '.join(text for text, _ in record)})" for record in records]
    value = f"[{', '.join(literals)}]" if in_array else literals[0]
    typed = f"CAST({value} AS {render_type(old)})"
    converted = conversion_sql(old, new, typed)
    assert converted is not None
    again = conversion_sql(old, new, "converted")
    rows = sql.query(f"SELECT converted, {again} FROM (SELECT {converted} AS converted)")
    expected = [tuple([v for _, v in record[:len(after)]] + [ELEMENTS[t][1] for t in after[len(before):]])
                for record in records]
    result, reconverted = rows[0]
    assert result == (expected if in_array else expected[0])
    assert reconverted == result


def test_no_expression_when_nothing_would_be_kept() -> None:
    assert conversion_sql(parse_type("Tuple(a Int64)"), parse_type("Tuple(b Int64)"), "c") is None
    assert conversion_sql(parse_type("String"), parse_type("Array(String)"), "c") is None
    assert not converts_by_copy(parse_type("Tuple(a Int64)"), parse_type("Tuple(b Int64)"))
