"""The declaration API's Python type → ClickHouse column mapping (spec section 12)."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import uuid
from datetime import date, datetime
from decimal import Decimal as PyDecimal
from typing import Annotated, Any, Literal, Optional

import attrs
import pytest

from muskox import (
    ClickHouseAlias,
    ClickHouseCodec,
    ClickHouseJson,
    ClickHouseMaterialized,
    ClickHouseNamedTuple,
    ClickhouseSize,
    ClickHouseTTL,
    Date16,
    FixedString,
    Float32,
    Float64,
    Int8,
    Int16,
    Int32,
    Int64,
    Int128,
    Int256,
    Key,
    LineString,
    LowCardinality,
    MultiLineString,
    MultiPolygon,
    Point,
    Polygon,
    Ring,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    UInt128,
    UInt256,
    aggregated,
    clickhouse_datetime64,
    clickhouse_decimal,
    clickhouse_default,
    simple_aggregated,
)
from muskox.declare import DeclarationError, columns_of
from muskox.model import types as ch
from muskox.model.table import Column
from muskox.model.types import (
    AggregateFunction,
    Array,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    EnumMember,
    Json,
    JsonTypedPath,
    Map,
    Nested,
    Nullable,
    Simple,
    SimpleAggregateFunction,
    Tuple,
    TupleElement,
)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Wide(enum.Enum):
    SMALL = 1
    LARGE = 1000


@dataclasses.dataclass
class Address:
    street: str
    zip: Optional[int] = None  # noqa: UP045 - the spelling under test


def one_column(annotation: Any) -> Column:
    """The column a one-field dataclass with this annotation maps to."""
    model = dataclasses.make_dataclass("Model", [("f", annotation)])
    (column,) = columns_of(model)
    return column


def col(data_type: Any, **kwargs: Any) -> Column:
    return Column(name="f", data_type=data_type, **kwargs)


S = Simple
MAPPING = [
    (str, col(S("String"))),
    (bytes, col(S("String"))),
    (Annotated[str, FixedString(16)], col(ch.FixedString(16))),
    (Annotated[bytes, FixedString(4)], col(ch.FixedString(4))),
    (int, col(S("Int64"))),
    (Int8, col(S("Int8"))), (Int16, col(S("Int16"))), (Int32, col(S("Int32"))), (Int64, col(S("Int64"))),
    (Int128, col(S("Int128"))), (Int256, col(S("Int256"))),
    (UInt8, col(S("UInt8"))), (UInt16, col(S("UInt16"))), (UInt32, col(S("UInt32"))), (UInt64, col(S("UInt64"))),
    (UInt128, col(S("UInt128"))), (UInt256, col(S("UInt256"))),
    (float, col(S("Float64"))), (Float32, col(S("Float32"))), (Float64, col(S("Float64"))),
    (Annotated[float, ClickhouseSize(4)], col(S("Float32"))),
    (PyDecimal, col(Decimal(10, 0))),
    (clickhouse_decimal(18, 4), col(Decimal(18, 4))),
    (bool, col(S("Bool"))),
    (datetime, col(DateTime())),
    (clickhouse_datetime64(3), col(DateTime64(3))),
    (date, col(S("Date32"))),
    (Date16, col(S("Date"))),
    (Annotated[date, ClickhouseSize(2)], col(S("Date"))),
    (uuid.UUID, col(S("UUID"))),
    (ipaddress.IPv4Address, col(S("IPv4"))),
    (ipaddress.IPv6Address, col(S("IPv6"))),
    (Optional[str], col(S("String"), nullable=True)),  # noqa: UP045
    (str | None, col(S("String"), nullable=True)),
    (Annotated[Optional[int], clickhouse_default("0")], col(S("Int64"), nullable=True, default="0")),  # noqa: UP045
    (Optional[Annotated[int, clickhouse_default("0")]], col(S("Int64"), nullable=True, default="0")),  # noqa: UP045
    (list[str], col(Array(S("String")))),
    (list[Optional[str]], col(Array(Nullable(S("String"))))),  # noqa: UP045
    (list[list[int]], col(Array(Array(S("Int64"))))),
    (Optional[list[str]], col(Array(S("String")))),  # noqa: UP045 - arrays are never Nullable
    (dict[str, Any], col(Json())),
    (Any, col(Json())),
    (dict[str, int], col(Map(S("String"), S("Int64")))),
    (dict[str, Optional[float]], col(Map(S("String"), Nullable(S("Float64"))))),  # noqa: UP045
    (Address, col(Nested((TupleElement("street", S("String")), TupleElement("zip", Nullable(S("Int64"))))))),
    (Annotated[Address, ClickHouseNamedTuple],
     col(Tuple((TupleElement("street", S("String")), TupleElement("zip", Nullable(S("Int64"))))))),
    (Annotated[Address, ClickHouseJson(max_dynamic_paths=16, skip_paths=("tmp",))],
     col(Json(max_dynamic_paths=16, typed_paths=(JsonTypedPath("street", S("String")),
                                                 JsonTypedPath("zip", Nullable(S("Int64")))),
              skip_paths=("tmp",)))),
    (Color, col(Enum(8, (EnumMember("red", 1), EnumMember("green", 2))))),
    (Level, col(Enum(8, (EnumMember("LOW", 1), EnumMember("HIGH", 2))))),
    (Wide, col(Enum(16, (EnumMember("SMALL", 1), EnumMember("LARGE", 1000))))),
    (Literal["a", "b"], col(ch.LowCardinality(S("String")))),
    (Optional[Literal["a", "b"]], col(ch.LowCardinality(S("String")), nullable=True)),  # noqa: UP045
    (Annotated[str, "LowCardinality"], col(ch.LowCardinality(S("String")))),
    (Annotated[str, LowCardinality], col(ch.LowCardinality(S("String")))),
    (list[Annotated[Optional[str], LowCardinality]], col(Array(ch.LowCardinality(Nullable(S("String")))))),  # noqa: UP045
    (Key[str], col(S("String"), primary_key=True)),
    (Key[int], col(S("Int64"), primary_key=True)),
    (aggregated(int, "uniqExact", [str]), col(AggregateFunction("uniqExact", (S("String"),)))),
    (aggregated(list[float], "quantiles(0.5, 0.9)", [float]),
     col(AggregateFunction("quantiles(0.5, 0.9)", (S("Float64"),)))),
    (simple_aggregated("sum", UInt64), col(SimpleAggregateFunction("sum", (S("UInt64"),)))),
    (simple_aggregated("anyLast", str), col(SimpleAggregateFunction("anyLast", (S("String"),)))),
    (Point, col(S("Point"))), (Ring, col(S("Ring"))), (LineString, col(S("LineString"))),
    (MultiLineString, col(S("MultiLineString"))), (Polygon, col(S("Polygon"))),
    (MultiPolygon, col(S("MultiPolygon"))),
    (Annotated[str, ClickHouseMaterialized("lower(x)")], col(S("String"), materialized="lower(x)")),
    (Annotated[str, ClickHouseAlias("lower(x)")], col(S("String"), alias="lower(x)")),
    (Annotated[str, ClickHouseTTL("ts + INTERVAL 1 DAY"), ClickHouseCodec("ZSTD(3)")],
     col(S("String"), ttl="ts + INTERVAL 1 DAY", codec="ZSTD(3)")),
]


@pytest.mark.parametrize(("annotation", "expected"), MAPPING, ids=[repr(a) for a, _ in MAPPING])
def test_type_mapping(annotation: Any, expected: Column) -> None:
    assert one_column(annotation) == expected


@pytest.mark.parametrize(("annotation", "message"), [
    (complex, "Model.f: unsupported type complex"),
    (tuple[int, str], "Model.f: unsupported type tuple[int, str]"),
    (list, "Model.f: list needs an element type"),
    (list[complex], "Model.f[]: unsupported type complex"),
    (Literal[1, 2], "Model.f: Literal[...] must list strings only"),
    (Annotated[list[float], "Point"], "Model.f: Point must be typed as tuple[float, float]"),
    (Annotated[str, clickhouse_default("'x'"), ClickHouseMaterialized("y")],
     "Model.f: DEFAULT and MATERIALIZED are mutually exclusive"),
    (Annotated[Key[str], ClickHouseAlias("y")], "Model.f: an ALIAS column cannot be part of the key"),
    (Annotated[date, ClickhouseSize(3)], "Model.f: unsupported date size 3"),
])
def test_unsupported_annotations_name_model_and_field(annotation: Any, message: str) -> None:
    with pytest.raises(DeclarationError) as raised:
        one_column(annotation)
    assert message in str(raised.value)


def test_mixed_enum_values_are_rejected() -> None:
    class Mixed(enum.Enum):
        A = 1
        B = "b"

    with pytest.raises(DeclarationError, match=r"Model\.f: enum Mixed mixes value types"):
        one_column(Mixed)


def test_nested_models_may_not_carry_column_modifiers() -> None:
    @dataclasses.dataclass
    class Inner:
        x: Annotated[int, clickhouse_default("1")]

    with pytest.raises(DeclarationError, match=r"Model.f: field Inner.x of a nested model has a DEFAULT"):
        one_column(Inner)


def test_recursive_models_are_rejected() -> None:
    @dataclasses.dataclass
    class Node:
        children: list[Node]

    globals()["Node"] = Node  # the annotation is a string (future import); make it resolvable
    try:
        with pytest.raises(DeclarationError, match="Node → Node: a model cannot contain itself"):
            columns_of(Node)
    finally:
        del globals()["Node"]


def test_a_class_that_is_no_schema_is_rejected() -> None:
    class Plain:
        x: int

    with pytest.raises(DeclarationError, match="Plain is not a schema class"):
        columns_of(Plain)


# -- the three schema flavours give the same columns ---------------------------------------------------


@dataclasses.dataclass
class EventDc:
    id: Key[str]
    ts: datetime
    kind: Literal["click", "view"]
    amount: clickhouse_decimal(18, 4)  # type: ignore[valid-type]
    referrer: Optional[str] = None  # noqa: UP045
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = dataclasses.field(default="", metadata={"description": "free text", "alias": "Note"})


@attrs.define
class EventAttrs:
    id: Key[str]
    ts: datetime
    kind: Literal["click", "view"]
    amount: clickhouse_decimal(18, 4)  # type: ignore[valid-type]
    referrer: Optional[str] = None  # noqa: UP045
    tags: list[str] = attrs.field(factory=list)
    note: str = attrs.field(default="", metadata={"description": "free text", "alias": "Note"})


EXPECTED_EVENT = (
    Column(name="id", data_type=S("String"), primary_key=True),
    Column(name="ts", data_type=DateTime()),
    Column(name="kind", data_type=ch.LowCardinality(S("String"))),
    Column(name="amount", data_type=Decimal(18, 4)),
    Column(name="referrer", data_type=S("String"), nullable=True),
    Column(name="tags", data_type=Array(S("String"))),
    Column(name="Note", data_type=S("String"), comment="free text"),
)


def test_dataclass_schema() -> None:
    assert columns_of(EventDc) == EXPECTED_EVENT


def test_attrs_schema() -> None:
    assert columns_of(EventAttrs) == EXPECTED_EVENT


def test_pydantic_schema_gives_the_same_columns() -> None:
    import pydantic

    class EventPd(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        id: Key[str]
        ts: datetime
        kind: Literal["click", "view"]
        amount: clickhouse_decimal(18, 4)  # type: ignore[valid-type]
        referrer: Optional[str] = None  # noqa: UP045
        tags: list[str] = []
        note: str = pydantic.Field(default="", description="free text", alias="Note")

    assert columns_of(EventPd) == EXPECTED_EVENT


def test_pydantic_field_constraints_and_nested_models() -> None:
    import pydantic

    class Inner(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        a: int

    class Open(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        model_config = pydantic.ConfigDict(extra="allow")
        a: int

    class Outer(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        price: PyDecimal = pydantic.Field(max_digits=12, decimal_places=2)
        inner: Inner
        extra: Annotated[Open, ClickHouseJson()]

    assert columns_of(Outer) == (
        Column(name="price", data_type=Decimal(12, 2)),
        Column(name="inner", data_type=Nested((TupleElement("a", S("Int64")),))),
        Column(name="extra", data_type=Json(typed_paths=(JsonTypedPath("a", S("Int64")),))),
    )

    class Strict(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        a: int

    class Bad(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        extra: Annotated[Strict, ClickHouseJson()]

    with pytest.raises(DeclarationError, match=r"Bad\.extra: Strict is used with ClickHouseJson"):
        columns_of(Bad)


def test_the_core_does_not_import_pydantic() -> None:
    import subprocess
    import sys

    code = ("import sys, dataclasses; from muskox import OlapTable, Key\n"
            "@dataclasses.dataclass\nclass E:\n    id: Key[str]\n"
            "OlapTable[E]('e').to_table(); print('pydantic' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
