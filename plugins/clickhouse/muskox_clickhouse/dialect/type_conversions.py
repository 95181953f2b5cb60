"""Which column type changes ClickHouse performs in place (``ALTER … MODIFY COLUMN``), and which keep every value.

:func:`convertible`: scalars convert into each other (the data may still fail to parse — that is a *risky*
change, not an impossible one); composite types convert only into the same kind of composite with convertible
parts. Anything else (``Array(String)`` to ``Bool``, a tuple to a map, …) is refused by the server whatever the
data, so the planner drops and re-adds such a column instead (a destructive change, gated like every other).

:func:`is_widening`: the conversions that lose no value (``Int32`` → ``Int64``, ``Date`` → ``DateTime``, an enum
gaining members, …); any other type change is reported as risky.
"""

from __future__ import annotations

from muskox.model.types import (
    AggregateFunction,
    Array,
    DataType,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    FixedString,
    Json,
    LowCardinality,
    Map,
    Nested,
    Nullable,
    Simple,
    SimpleAggregateFunction,
    Tuple,
)

GEO_TYPES = frozenset({"Point", "Ring", "LineString", "MultiLineString", "Polygon", "MultiPolygon"})


def _unwrap(data_type: DataType) -> DataType:
    while isinstance(data_type, LowCardinality | Nullable):
        data_type = data_type.inner
    return data_type


def _is_scalar(data_type: DataType) -> bool:
    if isinstance(data_type, Simple):
        return data_type.name not in GEO_TYPES
    return isinstance(data_type, FixedString | Decimal | DateTime | DateTime64 | Enum)


def convertible(before: DataType, after: DataType) -> bool:
    """True when ``MODIFY COLUMN`` from ``before`` to ``after`` can succeed for some data."""
    before, after = _unwrap(before), _unwrap(after)
    if before == after:
        return True
    if _is_scalar(before) and _is_scalar(after):
        return True
    match before, after:
        case Simple("String"), Json():
            return True
        case Json(), Json():
            return True
        case Array(a), Array(b):
            return convertible(a, b)
        case Map(k1, v1), Map(k2, v2):
            return convertible(k1, k2) and convertible(v1, v2)
        case Tuple(a), Tuple(b):
            return len(a) == len(b) and all(convertible(x.type, y.type) for x, y in zip(a, b, strict=True))
        case Nested(a), Nested(b):
            return [f.name for f in a] == [f.name for f in b] and all(
                convertible(x.type, y.type) for x, y in zip(a, b, strict=True))
        case SimpleAggregateFunction(f1, args1), SimpleAggregateFunction(f2, args2):
            return f1 == f2 and len(args1) == len(args2) and all(
                convertible(x, y) for x, y in zip(args1, args2, strict=True))
        case AggregateFunction(), AggregateFunction():
            return False  # aggregate states of different functions or arguments are not convertible
    return False


_INT_BITS = {f"{sign}Int{bits}": (sign == "", bits) for sign in ("", "U") for bits in (8, 16, 32, 64, 128, 256)}


def is_widening(before: DataType, after: DataType) -> bool:
    """Conversions ClickHouse performs without losing any value."""
    match before, after:
        case LowCardinality(inner), _:
            return inner == after or is_widening(inner, after)
        case _, LowCardinality(inner):
            return before == inner or is_widening(before, inner)
        case Simple(a), Simple(b) if a in _INT_BITS and b in _INT_BITS:
            (signed_a, bits_a), (signed_b, bits_b) = _INT_BITS[a], _INT_BITS[b]
            return (signed_a == signed_b and bits_b >= bits_a) or (not signed_a and signed_b and bits_b > bits_a)
        case Simple(a), Simple("Float64") if a in ("Float32", "Int8", "Int16", "Int32", "UInt8", "UInt16", "UInt32"):
            return True
        case Simple("Date"), Simple("Date32") | DateTime() | DateTime64():
            return True
        case DateTime(), DateTime64():
            return True
        case DateTime64(p1, tz1), DateTime64(p2, tz2):
            return p2 >= p1 and tz1 == tz2
        case FixedString(), Simple("String"):
            return True
        case Decimal(p1, s1), Decimal(p2, s2):
            return s2 >= s1 and (p2 - s2) >= (p1 - s1)
        case Enum(_, members_before), Enum(_, members_after):
            return set(members_before) <= set(members_after)
        case Array(a), Array(b):
            return a == b or is_widening(a, b)
    return False
