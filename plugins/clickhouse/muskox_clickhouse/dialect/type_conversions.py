"""Which column type changes ClickHouse performs in place (``ALTER … MODIFY COLUMN``), and which keep every value.

:func:`convertible`: scalars convert into each other (the data may still fail to parse — that is a *risky*
change, not an impossible one); composite types convert only into the same kind of composite with convertible
parts. Anything else (``Array(String)`` to ``Bool``, a tuple to a map, …) is refused by the server whatever the
data, so the planner drops and re-adds such a column instead (a destructive change, gated like every other).

:func:`is_widening`: the table of conversions known to keep every value (checked on ClickHouse 26.9); any other
type change is flagged in the plan (``type_change_may_fail``, ``type_change_data_loss``):

=====================================================  ==========================================================
from                                                   to
=====================================================  ==========================================================
``(U)IntN``                                            ``(U)IntM`` of the same signedness, ``M >= N``; ``IntM``
                                                       from ``UIntN`` with ``M > N``
``Float32``, ``(U)Int8/16/32``                         ``Float64``
``Date``                                               ``Date32``, ``DateTime``, ``DateTime64``
``DateTime``                                           ``DateTime64``; ``DateTime64(p)`` to a larger precision
``FixedString(N)``                                     ``String``
``Decimal(P, S)``                                      a Decimal with at least as many digits on both sides
``Enum``                                               an Enum with every member it had
``T``                                                  ``LowCardinality(T)`` and back
``Array(T)``, ``Map(K, V)``                            the same with widened parts
named ``Tuple``, ``Nested``                            the same names (any order) plus new ones, widened parts
                                                       (the server converts by name; new elements get defaults)
unnamed ``Tuple``                                      the same elements, widened, plus new ones at the end
                                                       (copied: see below; new elements get their type's default)
=====================================================  ==========================================================

Nullable → not Nullable is not in the table: stored NULLs become the declared default, else the type's default.

:func:`conversion_sql`: composite types the server refuses to ``MODIFY`` although the values could be kept — an
unnamed ``Tuple`` gaining or losing elements, on its own or inside an ``Array``, a ``Map``, a named ``Tuple`` or
``Nested`` (``CAST AS Tuple can only be performed between tuple types with the same number of elements``) — are
converted by an expression instead: the planner recreates the table with a copy of its rows
(``RecreateTableWithCopy``) and the ``INSERT … SELECT`` rebuilds each value element by element. The expression is
idempotent (an element only the new type has is read with ``tupleElement(v, i, <default>)``, which returns the
element when it exists), so a copy that runs again on a table already converted (``migrate --resume`` after the
``EXCHANGE``) changes nothing.
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
    TupleElement,
)
from muskox_clickhouse.dialect.quoting import quote_string
from muskox_clickhouse.dialect.type_text import render_type

__all__ = ["GEO_TYPES", "conversion_sql", "convertible", "converts_by_copy", "is_widening"]

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
        case Tuple(a), Tuple(b) if _named(a) and _named(b):
            return _named_convertible(a, b)
        case Tuple(a), Tuple(b):
            return len(a) == len(b) and all(convertible(x.type, y.type) for x, y in zip(a, b, strict=True))
        case Nested(a), Nested(b):
            return _named_convertible(a, b)
        case SimpleAggregateFunction(f1, args1), SimpleAggregateFunction(f2, args2):
            return f1 == f2 and len(args1) == len(args2) and all(
                convertible(x, y) for x, y in zip(args1, args2, strict=True))
        case AggregateFunction(), AggregateFunction():
            return False  # aggregate states of different functions or arguments are not convertible
    return False


def _named(elements: tuple[TupleElement, ...]) -> bool:
    return bool(elements) and all(element.name is not None for element in elements)


def _named_convertible(before: tuple[TupleElement, ...], after: tuple[TupleElement, ...]) -> bool:
    """ClickHouse 26.9 converts named tuples (and Nested) element by element *by name*: an element only the new
    type has gets its type's default, one only the old type has is dropped. At least one name must remain."""
    old = {element.name: element.type for element in before}
    shared = [(old[element.name], element.type) for element in after if element.name in old]
    return bool(shared) and all(convertible(x, y) for x, y in shared)


def _named_widening(before: tuple[TupleElement, ...], after: tuple[TupleElement, ...]) -> bool:
    """Every element of ``before`` is in ``after`` under its name, of the same or a widened type."""
    new = {element.name: element.type for element in after}
    return all(element.name in new and (element.type == new[element.name]
                                        or is_widening(element.type, new[element.name])) for element in before)


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
        case Tuple(a), Tuple(b) if _named(a) and _named(b):
            return _named_widening(a, b)
        case Tuple(a), Tuple(b) if not _named(a) and not _named(b):
            return len(b) >= len(a) and all(x.type == y.type or is_widening(x.type, y.type)
                                            for x, y in zip(a, b, strict=False))
        case Nested(a), Nested(b):
            return _named_widening(a, b)
        case Map(k1, v1), Map(k2, v2):
            return (k1 == k2 or is_widening(k1, k2)) and (v1 == v2 or is_widening(v1, v2))
    return False


def converts_by_copy(before: DataType, after: DataType) -> bool:
    """True when the server refuses ``MODIFY COLUMN`` from ``before`` to ``after`` but :func:`conversion_sql`
    converts the values (a table holding such a column is recreated with a copy of its rows)."""
    return not convertible(before, after) and _reshape(before, after, "v", 0) is not None


def conversion_sql(before: DataType, after: DataType, value: str) -> str | None:
    """An expression turning ``value`` (SQL of type ``before``) into a value of type ``after`` element by element,
    keeping every element both types have (by name between named tuples, else by position); an element only
    ``after`` has gets its type's default. None when no such expression keeps anything (e.g. ``String`` to
    ``Array(String)``, or two named tuples without a common name). Types the server converts itself come back as
    ``CAST(value AS after)``."""
    reshaped = _reshape(before, after, value, 0)
    if reshaped is None:
        return None
    return f"CAST({reshaped} AS {render_type(after)})"


def _default(data_type: DataType) -> str:
    return f"defaultValueOfTypeName({quote_string(render_type(data_type))})"


def _reshape(before: DataType, after: DataType, value: str, depth: int) -> str | None:
    """``value`` rebuilt so that ``CAST(… AS after)`` succeeds and keeps what both types share; None: impossible.
    Lambda parameters are ``_muskox_<depth>``, unique per nesting level (column names are never shadowed by
    them unless a column is called that)."""
    if convertible(before, after):
        return value
    match before, after:
        case Array(a), Array(b):
            parameter = f"_muskox_{depth}"
            inner = _reshape(a, b, parameter, depth + 1)
            return None if inner is None else f"arrayMap({parameter} -> {inner}, {value})"
        case Map(k1, v1), Map(k2, v2) if convertible(k1, k2):
            key, item = f"_muskox_k{depth}", f"_muskox_v{depth}"
            inner = _reshape(v1, v2, item, depth + 1)
            return None if inner is None else f"mapApply(({key}, {item}) -> ({key}, {inner}), {value})"
        case Tuple(a), Tuple(b):
            return _rebuilt_tuple(a, b, value, depth, by_name=_named(a) and _named(b))
        case Nested(a), Nested(b):
            parameter = f"_muskox_{depth}"
            inner = _rebuilt_tuple(a, b, parameter, depth + 1, by_name=True)
            return None if inner is None else f"arrayMap({parameter} -> {inner}, {value})"
    return None


def _rebuilt_tuple(before: tuple[TupleElement, ...], after: tuple[TupleElement, ...], value: str, depth: int, *,
                   by_name: bool) -> str | None:
    """``tuple(e1, …)`` with an element per element of ``after``: the matching element of ``before`` converted,
    or the type's default (read with a default, so that a value already of type ``after`` keeps its own)."""
    if by_name:
        old = {element.name: (quote_string(element.name or ""), element.type) for element in before}
        sources = [old.get(element.name) for element in after]
        missing = [quote_string(element.name or "") for element in after]
    else:
        sources = [(str(position), before[position - 1].type) if position <= len(before) else None
                   for position in range(1, len(after) + 1)]
        missing = [str(position) for position in range(1, len(after) + 1)]
    if not any(sources):
        return None  # nothing shared: no value would be kept
    parts = []
    for element, source, key in zip(after, sources, missing, strict=True):
        if source is None:
            parts.append(f"tupleElement({value}, {key}, {_default(element.type)})")
            continue
        index, old_type = source
        inner = _reshape(old_type, element.type, f"tupleElement({value}, {index})", depth)
        if inner is None:
            return None
        parts.append(inner)
    return f"tuple({', '.join(parts)})"
