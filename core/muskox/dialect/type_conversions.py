"""Which column type changes ClickHouse can perform in place (``ALTER … MODIFY COLUMN``).

Scalars convert into each other (the data may still fail to parse — that is a *risky* change, not an
impossible one); composite types convert only into the same kind of composite with convertible parts. Anything
else (``Array(String)`` to ``Bool``, a tuple to a map, …) is refused by the server whatever the data, so the
planner drops and re-adds such a column instead (a destructive change, gated like every other).
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
