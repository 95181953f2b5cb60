"""Data types: ClickHouse type text, and Moose's JSON encoding with ClickHouse text for the rest, round-trip
exactly."""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from muskox.model.codec_types import TypeCodec
from muskox.model.types import (
    Array,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    EnumMember,
    LowCardinality,
    Nullable,
    Raw,
    Simple,
    TypeSyntaxError,
)
from muskox.testing.strategies import column_types
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.type_text import parse_type, render_type

TYPES = TypeCodec(CLICKHOUSE)


@given(column_types)
def test_clickhouse_text_round_trips(data_type: object) -> None:
    assert parse_type(render_type(data_type)) == data_type  # type: ignore[arg-type]


@given(column_types)
def test_moose_json_round_trips(data_type: object) -> None:
    encoded = json.loads(json.dumps(TYPES.encode(data_type)))  # type: ignore[arg-type]
    assert TYPES.decode(encoded) == data_type


@pytest.mark.parametrize(("text", "expected"), [
    ("Decimal64(4)", Decimal(18, 4)),
    ("Decimal(10)", Decimal(10, 0)),
    ("DateTime", DateTime()),
    ("DateTime('Europe/Berlin')", DateTime("Europe/Berlin")),
    ("DateTime64(3, 'UTC')", DateTime64(3, "UTC")),
    ("LowCardinality(Nullable(String))", LowCardinality(Nullable(Simple("String")))),
    ("Enum8('a' = 1, 'it\\'s' = 2)", Enum(8, (EnumMember("a", 1), EnumMember("it's", 2)))),
    ("Variant(String, UInt64)", Raw("Variant(String, UInt64)")),
    ("  Array( Int32 ) ", Array(Simple("Int32"))),
])
def test_parse_examples(text: str, expected: object) -> None:
    assert parse_type(text) == expected


@pytest.mark.parametrize(("moose", "clickhouse"), [
    ("Boolean", "Bool"), ("Date", "Date32"), ("Date16", "Date"), ("DateTime", "DateTime"),
    ("DateTime(6)", "DateTime64(6)"), ("Json", "JSON"), ("Decimal(18, 4)", "Decimal(18, 4)"),
    ({"elementType": "String", "elementNullable": True}, "Array(Nullable(String))"),
    ({"keyType": "String", "valueType": {"nullable": "Int64"}}, "Map(String, Nullable(Int64))"),
    ({"fields": [["a", "String"], ["b", "Float64"]]}, "Tuple(a String, b Float64)"),
    ({"name": "Status", "values": [{"name": "ok", "value": {"Int": 1}}, {"name": "bad", "value": {"Int": 2}}]},
     "Enum8('ok' = 1, 'bad' = 2)"),
    ({"name": "S", "values": [{"name": "X", "value": {"String": "x"}}, {"name": "Y", "value": {"String": "y"}}]},
     "Enum8('x' = 1, 'y' = 2)"),
])
def test_moose_encodings_mean_the_documented_clickhouse_types(moose: object, clickhouse: str) -> None:
    assert render_type(TYPES.decode(moose)) == clickhouse


@pytest.mark.parametrize("text", ["Array(", "Map(String)", "Enum8('a' = )", "Nested(String)", "Int32 Int32", "(("])
def test_malformed_types_are_one_clear_error(text: str) -> None:
    with pytest.raises(TypeSyntaxError, match="cannot parse ClickHouse type"):
        parse_type(text)


def test_unknown_json_encoding_names_its_path() -> None:
    with pytest.raises(ValueError, match=r"columns\[0\].data_type: unknown data type encoding"):
        TYPES.decode({"weird": 1}, "columns[0].data_type")
