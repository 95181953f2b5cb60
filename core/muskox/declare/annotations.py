"""Markers that refine a field's ClickHouse type or column, used through ``typing.Annotated``.

The names and shapes follow Moose's ``moose_lib`` so a Moose project ports by changing its import lines:
``Key[str]``, ``UInt32``, ``clickhouse_decimal(18, 4)``, ``Annotated[str, "LowCardinality"]``,
``Annotated[str, clickhouse_default("'n/a'")]`` and so on. Every marker is a plain frozen dataclass, so
pydantic (when used) keeps them as unknown metadata and validation is unaffected.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final, TypeVar

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class PrimaryKeyMarker:
    """Marks a field as part of the primary key (what ``Key[T]`` adds)."""


@dataclasses.dataclass(frozen=True)
class JwtMarker:
    """Marks a field as coming from a JWT claim (what ``JWT[T]`` adds); it does not change the column."""


PRIMARY_KEY: Final = PrimaryKeyMarker()
"""The marker instance ``Key[T]`` uses."""

Key = Annotated[T, PRIMARY_KEY]
"""``Key[str]``: the field is part of the primary key (and the ORDER BY fallback)."""

JWT = Annotated[T, JwtMarker()]
"""``JWT[str]``: accepted for compatibility with Moose projects; no effect on the column."""

LowCardinality: Final = "LowCardinality"
"""``Annotated[str, "LowCardinality"]`` (or this constant) wraps the type in ``LowCardinality(...)``."""

ClickHouseNamedTuple: Final = "ClickHouseNamedTuple"
"""``Annotated[Model, "ClickHouseNamedTuple"]`` stores a nested model as a named ``Tuple`` instead of ``Nested``."""

# -- sized numbers --------------------------------------------------------------------------------------

Int8 = Annotated[int, "int8"]
"""ClickHouse ``Int8``."""
Int16 = Annotated[int, "int16"]
"""ClickHouse ``Int16``."""
Int32 = Annotated[int, "int32"]
"""ClickHouse ``Int32``."""
Int64 = Annotated[int, "int64"]
"""ClickHouse ``Int64`` (what a plain ``int`` maps to)."""
Int128 = Annotated[int, "int128"]
"""ClickHouse ``Int128``."""
Int256 = Annotated[int, "int256"]
"""ClickHouse ``Int256``."""
UInt8 = Annotated[int, "uint8"]
"""ClickHouse ``UInt8``."""
UInt16 = Annotated[int, "uint16"]
"""ClickHouse ``UInt16``."""
UInt32 = Annotated[int, "uint32"]
"""ClickHouse ``UInt32``."""
UInt64 = Annotated[int, "uint64"]
"""ClickHouse ``UInt64``."""
UInt128 = Annotated[int, "uint128"]
"""ClickHouse ``UInt128``."""
UInt256 = Annotated[int, "uint256"]
"""ClickHouse ``UInt256``."""
Float32 = Annotated[float, "float32"]
"""ClickHouse ``Float32``."""
Float64 = Annotated[float, "float64"]
"""ClickHouse ``Float64`` (what a plain ``float`` maps to)."""


@dataclasses.dataclass(frozen=True)
class ClickhouseSize:
    """Byte size of a ``float`` (4 ⇒ ``Float32``, 8 ⇒ ``Float64``) or ``date`` (2 ⇒ ``Date``, 4 ⇒ ``Date32``)."""

    size: int


@dataclasses.dataclass(frozen=True)
class ClickhousePrecision:
    """Sub-second precision of a ``datetime``: ``DateTime64(precision)``."""

    precision: int


@dataclasses.dataclass(frozen=True)
class ClickhouseDecimal:
    """``Decimal(precision, scale)`` for a ``Decimal`` field."""

    max_digits: int
    decimal_places: int


@dataclasses.dataclass(frozen=True)
class ClickhouseFixedStringSize:
    """``FixedString(size)`` for a ``str`` or ``bytes`` field."""

    size: int


def FixedString(size: int) -> ClickhouseFixedStringSize:  # noqa: N802 - Moose's name
    """``Annotated[str, FixedString(16)]``: ClickHouse ``FixedString(16)`` (exactly ``size`` bytes)."""
    return ClickhouseFixedStringSize(size=size)


def clickhouse_decimal(precision: int, scale: int) -> Any:
    """``amount: clickhouse_decimal(18, 4)``: ClickHouse ``Decimal(18, 4)``."""
    return Annotated[Decimal, ClickhouseDecimal(max_digits=precision, decimal_places=scale)]


def clickhouse_datetime64(precision: int) -> Any:
    """``ts: clickhouse_datetime64(3)``: ClickHouse ``DateTime64(3)`` (Python values keep microseconds at most)."""
    return Annotated[datetime, ClickhousePrecision(precision=precision)]


Date16 = Annotated[date, ClickhouseSize(2)]
"""ClickHouse ``Date`` (2 bytes); a plain ``date`` maps to ``Date32``."""

# -- aggregates -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AggregateFunction:
    """``AggregateFunction(agg_func, *param_types)``; see :func:`aggregated`."""

    agg_func: str
    param_types: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        """Moose's annotation value: ``{"functionName": …, "argumentTypes": [<data_type>, …]}``."""
        from muskox.declare.moose_data_models import moose_data_type

        return {"functionName": self.agg_func, "argumentTypes": [moose_data_type(t) for t in self.param_types]}


@dataclasses.dataclass(frozen=True)
class SimpleAggregateFunction:
    """``SimpleAggregateFunction(agg_func, arg_type)``; see :func:`simple_aggregated`."""

    agg_func: str
    arg_type: Any

    def to_dict(self) -> dict[str, Any]:
        """Moose's annotation value: ``{"functionName": …, "argumentType": <data_type>}``."""
        from muskox.declare.moose_data_models import moose_data_type

        return {"functionName": self.agg_func, "argumentType": moose_data_type(self.arg_type)}


def aggregated(result_type: Any, agg_func: str, param_types: list[Any]) -> Any:
    """``uniq_users: aggregated(int, "uniqExact", [str])``: ``AggregateFunction(uniqExact, String)``.

    ``agg_func`` may carry parameters: ``aggregated(list[float], "quantiles(0.5, 0.9)", [float])``.
    """
    return Annotated[result_type, AggregateFunction(agg_func=agg_func, param_types=tuple(param_types))]


def simple_aggregated(agg_func: str, arg_type: Any) -> Any:
    """``total: simple_aggregated("sum", int)``: ``SimpleAggregateFunction(sum, Int64)``."""
    return Annotated[arg_type, SimpleAggregateFunction(agg_func=agg_func, arg_type=arg_type)]


# -- column modifiers -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ClickhouseDefault:
    """``DEFAULT expression``; see :func:`clickhouse_default`."""

    expression: str


def clickhouse_default(expression: str) -> ClickhouseDefault:
    """``Annotated[str, clickhouse_default("'n/a'")]``: the column gets ``DEFAULT 'n/a'``."""
    return ClickhouseDefault(expression=expression)


@dataclasses.dataclass(frozen=True)
class ClickHouseMaterialized:
    """``MATERIALIZED expression``: computed at insert time and stored (exclusive with DEFAULT and ALIAS)."""

    expression: str


@dataclasses.dataclass(frozen=True)
class ClickHouseAlias:
    """``ALIAS expression``: computed at read time, never stored (exclusive with DEFAULT/MATERIALIZED; not a key)."""

    expression: str


@dataclasses.dataclass(frozen=True)
class ClickHouseTTL:
    """Column ``TTL expression`` (without the leading ``TTL``)."""

    expression: str


@dataclasses.dataclass(frozen=True)
class ClickHouseCodec:
    """Column ``CODEC(expression)``, e.g. ``ClickHouseCodec("ZSTD(3)")``."""

    expression: str


def clickhouse_codec(expression: str) -> ClickHouseCodec:
    """``Annotated[str, clickhouse_codec("ZSTD(3)")]``: the column gets ``CODEC(ZSTD(3))``."""
    return ClickHouseCodec(expression=expression)


@dataclasses.dataclass(frozen=True)
class ClickHouseType:
    """The column's exact ClickHouse type as SQL text; see :func:`clickhouse_type`."""

    type_text: str


def clickhouse_type(type_text: str) -> ClickHouseType:
    """``Annotated[Any, clickhouse_type("Map(String, Array(UInt32))")]``: the column has exactly this type,
    whatever the Python annotation (a ``Nullable(T)`` makes the column nullable). muskox writes it for tables it
    declares itself (a version bump's retained table); in your own code prefer the Python types."""
    return ClickHouseType(type_text=type_text)


# -- JSON and geometry ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ClickHouseJson:
    """``Annotated[Model, ClickHouseJson(...)]``: a ``JSON(...)`` column whose typed paths are the model's fields."""

    max_dynamic_paths: int | None = None
    max_dynamic_types: int | None = None
    skip_paths: tuple[str, ...] = ()
    skip_regexps: tuple[str, ...] = ()


Point = Annotated[tuple[float, float], "Point"]
"""ClickHouse ``Point``: ``(x, y)``."""
Ring = Annotated[list[tuple[float, float]], "Ring"]
"""ClickHouse ``Ring``: a closed list of points."""
LineString = Annotated[list[tuple[float, float]], "LineString"]
"""ClickHouse ``LineString``: an open list of points."""
MultiLineString = Annotated[list[list[tuple[float, float]]], "MultiLineString"]
"""ClickHouse ``MultiLineString``."""
Polygon = Annotated[list[list[tuple[float, float]]], "Polygon"]
"""ClickHouse ``Polygon``: an outer ring, then holes."""
MultiPolygon = Annotated[list[list[list[tuple[float, float]]]], "MultiPolygon"]
"""ClickHouse ``MultiPolygon``."""

GEO_TYPES: Final = ("Point", "Ring", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
"""The geometry marker names, in nesting order of their Python shapes."""
