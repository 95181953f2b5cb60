"""Column data types as values: a small tree, in Moose's column-type vocabulary.

The names are the ones Moose's model uses (``String``, ``Int64``, ``LowCardinality``, ``Nested`` …). How a type is
written as text — rendered for SQL and messages, parsed from introspection or ``clickhouse_type("…")`` — is the
OLAP backend's dialect (``render_type`` and ``parse_type`` of :class:`muskox.plugin.dialect.Dialect`).
Nullability of a whole column is kept on :class:`muskox.model.table.Column` (``nullable``), not in its type, as
Moose does; nested ``Nullable`` (inside ``Array``, ``Map``, ``Tuple``) stays in the tree.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode


class TypeSyntaxError(MuskoxError):
    """A type written as text could not be parsed by the dialect that reads it."""

    exit_code = ExitCode.PLAN_INVALID


@attrs.frozen
class Simple:
    """A type without parameters: ``String``, ``Int64``, ``Bool``, ``UUID``, ``Date``, ``Date32``, ``IPv4``,
    geo types (``Point``, ``Polygon``, …), ``Dynamic``, and any other bare name."""

    name: str


@attrs.frozen
class FixedString:
    """``FixedString(N)``."""

    length: int


@attrs.frozen
class Decimal:
    """``Decimal(P, S)`` (``Decimal32/64/128/256(S)`` parse to this with P = 9/18/38/76)."""

    precision: int
    scale: int


@attrs.frozen
class DateTime:
    """``DateTime`` or ``DateTime('tz')``."""

    timezone: str | None = None


@attrs.frozen
class DateTime64:
    """``DateTime64(P)`` or ``DateTime64(P, 'tz')``."""

    precision: int
    timezone: str | None = None


@attrs.frozen
class EnumMember:
    """One ``'name' = value`` member of an enum."""

    name: str
    value: int


@attrs.frozen
class Enum:
    """``Enum8(...)`` / ``Enum16(...)``; member order is kept as written (comparison ignores it).

    ``name`` is the declaring Python enum's name, kept for Moose's file format; it is not compared.
    """

    bits: int
    members: tuple[EnumMember, ...]
    name: str = attrs.field(default="", eq=False)


@attrs.frozen
class Array:
    """``Array(T)``."""

    element: DataType


@attrs.frozen
class Nullable:
    """``Nullable(T)`` (only inside composite types; a nullable column has ``Column.nullable``)."""

    inner: DataType


@attrs.frozen
class LowCardinality:
    """``LowCardinality(T)``."""

    inner: DataType


@attrs.frozen
class Map:
    """``Map(K, V)``."""

    key: DataType
    value: DataType


@attrs.frozen
class TupleElement:
    """One element of a tuple or nested type; ``name`` is None for unnamed tuple elements."""

    name: str | None
    type: DataType


@attrs.frozen
class Tuple:
    """``Tuple(T, …)`` or named ``Tuple(a T, …)``."""

    elements: tuple[TupleElement, ...]


@attrs.frozen
class Nested:
    """``Nested(a T, …)`` (created with ``flatten_nested = 0`` so it stays one column)."""

    fields: tuple[TupleElement, ...]


@attrs.frozen
class JsonTypedPath:
    """A ``path Type`` hint inside ``JSON(...)``."""

    path: str
    type: DataType


@attrs.frozen
class Json:
    """``JSON`` with its options."""

    max_dynamic_paths: int | None = None
    max_dynamic_types: int | None = None
    typed_paths: tuple[JsonTypedPath, ...] = ()
    skip_paths: tuple[str, ...] = ()
    skip_regexps: tuple[str, ...] = ()


@attrs.frozen
class AggregateFunction:
    """``AggregateFunction(func[(params)], T, …)``; ``function`` keeps parameters, e.g. ``quantiles(0.5, 0.9)``."""

    function: str
    arguments: tuple[DataType, ...]


@attrs.frozen
class SimpleAggregateFunction:
    """``SimpleAggregateFunction(func, T)``."""

    function: str
    arguments: tuple[DataType, ...]


@attrs.frozen
class Raw:
    """A parameterised type muskox does not model (``Variant(...)``, ``Time64(3)``, …), kept as its text."""

    text: str


DataType: TypeAlias = (
    Simple | FixedString | Decimal | DateTime | DateTime64 | Enum | Array | Nullable | LowCardinality | Map
    | Tuple | Nested | Json | AggregateFunction | SimpleAggregateFunction | Raw
)

#: Every concrete data type class (for converters and strategies).
DATA_TYPE_CLASSES: tuple[type, ...] = (
    Simple, FixedString, Decimal, DateTime, DateTime64, Enum, Array, Nullable, LowCardinality, Map, Tuple,
    Nested, Json, AggregateFunction, SimpleAggregateFunction, Raw,
)

INTEGER_TYPES = tuple(f"{sign}Int{bits}" for sign in ("", "U") for bits in (8, 16, 32, 64, 128, 256))
SIMPLE_TYPES = (
    "String", "Bool", *INTEGER_TYPES, "Float32", "Float64", "BFloat16", "UUID", "Date", "Date32", "IPv4", "IPv6",
    "Point", "Ring", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "Dynamic", "Nothing",
)
