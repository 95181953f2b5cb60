"""Python annotations → ClickHouse columns (spec section 12).

``columns_of(Event)`` reads a pydantic model, dataclass or attrs class and returns
:class:`muskox.model.table.Column` values. A field's top-level ``Optional`` becomes ``Column.nullable``;
``Optional`` inside ``list``/``dict`` becomes a ``Nullable(...)`` element. Errors name the model and field:
``Event.amount: unsupported type complex; use one of …``.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import types
import typing
import uuid
import weakref
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal as PyDecimal
from typing import Annotated, Any, Literal, Union

from muskox.declare import annotations as marks
from muskox.declare.errors import DeclarationError
from muskox.declare.fields import FieldSpec, allows_extra, is_schema_class, schema_fields
from muskox.declare.registry import declaring_dialect
from muskox.model import types as ch
from muskox.model.table import Column

SUPPORTED = (
    "str, bytes, int, float, Decimal, bool, datetime, date, UUID, IPv4Address, IPv6Address, Any, list[T], "
    "dict[K, V], an Enum, Literal['a', …], a nested model, or an alias such as UInt32 or Point"
)
_INT_MARKER = re.compile(r"^(u?)int(8|16|32|64|128|256)$")
_NOT_NULLABLE = (ch.Array, ch.Map, ch.Nested, ch.Json, ch.Tuple, ch.AggregateFunction, ch.SimpleAggregateFunction)
"""Types ClickHouse cannot wrap in ``Nullable`` (a column of these is never nullable)."""
_MODIFIERS = (
    marks.ClickhouseDefault, marks.ClickHouseMaterialized, marks.ClickHouseAlias, marks.ClickHouseTTL,
    marks.ClickHouseCodec, marks.PrimaryKeyMarker,
)


_COLUMNS_CACHE: weakref.WeakKeyDictionary[type, tuple[Column, ...]] = weakref.WeakKeyDictionary()
"""The columns of each schema class already mapped (many tables share one model; the values are immutable)."""


def columns_of(model: type) -> tuple[Column, ...]:
    """The columns of a schema class, in field order (mapped once per class, unless the mapping read an exact
    type with the declaring dialect, which may differ between collections)."""
    try:
        cached = _COLUMNS_CACHE.get(model)
    except TypeError:  # not weak-referenceable (a typing alias, say): map it, the error names the problem
        return _Mapper().columns(model, ())
    if cached is None:
        if len(_INTERNED) >= 1 << 14:
            _INTERNED.clear()
        mapper = _Mapper()
        columns = tuple(_INTERNED.setdefault(column, column) for column in mapper.columns(model, ()))
        if mapper.read_type_text:
            return columns
        cached = _COLUMNS_CACHE[model] = columns
    return cached


_INTERNED: dict[Column, Column] = {}
"""One instance per column value across schema classes (equal columns then compare by identity)."""


def data_type_of(annotation: Any, where: str = "type") -> tuple[ch.DataType, bool]:
    """One annotation's ClickHouse type and whether it is ``Optional`` (for tests and helpers)."""
    return _Mapper().resolve(annotation, (), where, ())


def can_be_nullable(data_type: ch.DataType) -> bool:
    """False for types ClickHouse cannot make ``Nullable`` (arrays, maps, nested, JSON, tuples, aggregates)."""
    inner = data_type.inner if isinstance(data_type, ch.LowCardinality) else data_type
    return not isinstance(inner, _NOT_NULLABLE) and not (isinstance(inner, ch.Simple) and inner.name in marks.GEO_TYPES)


def nullable(data_type: ch.DataType) -> ch.DataType:
    """``Nullable(T)`` where ClickHouse allows it (``LowCardinality(Nullable(T))`` for low-cardinality types)."""
    if not can_be_nullable(data_type):
        return data_type
    if isinstance(data_type, ch.LowCardinality):
        return ch.LowCardinality(ch.Nullable(data_type.inner))
    return ch.Nullable(data_type)


def peel(annotation: Any, extras: Sequence[Any] = ()) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` layers, ``NewType`` wrappers and ``type`` aliases (Python 3.12's ``type X = …``,
    also generic ones: ``Pair[int]``), collecting their metadata in order."""
    collected = list(extras)
    while True:
        alias = _type_alias_value(annotation)
        if alias is not None:
            annotation = alias
        elif typing.get_origin(annotation) is Annotated:
            collected.extend(_expand(annotation.__metadata__))
            annotation = annotation.__origin__
        elif isinstance(annotation, typing.NewType):
            annotation = annotation.__supertype__
        else:
            return annotation, collected


def _type_alias_value(annotation: Any) -> Any:
    """What a ``type`` alias stands for (its parameters substituted), or None for anything else."""
    if type(annotation).__name__ == "TypeAliasType":
        return annotation.__value__
    origin = typing.get_origin(annotation)
    if type(origin).__name__ == "TypeAliasType":
        value = origin.__value__
        parameters = getattr(origin, "__type_params__", ())
        if parameters:
            substituted = dict(zip(parameters, typing.get_args(annotation), strict=False))
            return _substitute(value, substituted)
        return value
    return None


def _substitute(annotation: Any, values: dict[Any, Any]) -> Any:
    """``annotation`` with its type variables replaced by ``values``."""
    if annotation in values:
        return values[annotation]
    parameters = getattr(annotation, "__parameters__", ())
    if parameters:
        return annotation[tuple(values.get(p, p) for p in parameters)]
    return annotation


def _expand(metadata: Sequence[Any]) -> list[Any]:
    """pydantic's ``Field(...)`` inside ``Annotated`` carries its own metadata (``max_digits``, …): flatten it."""
    result: list[Any] = []
    for item in metadata:
        result.append(item)
        if type(item).__name__ == "FieldInfo":
            result.extend(getattr(item, "metadata", ()) or ())
    return result


def split_optional(annotation: Any) -> tuple[bool, Any]:
    """``Optional[T]`` / ``T | None`` → ``(True, T)``; anything else → ``(False, annotation)``."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return True, args[0]
    return False, annotation


def _first(extras: Sequence[Any], cls: type[Any]) -> Any:
    return next((e for e in extras if isinstance(e, cls)), None)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return repr(annotation).replace("typing.", "")


class _Mapper:
    """One mapping run; ``stack`` holds the models being expanded (to reject recursive models)."""

    def __init__(self) -> None:
        self.read_type_text = False
        """True once an exact type (``clickhouse_type``) was read with the declaring dialect."""

    def columns(self, model: type, stack: tuple[type, ...]) -> tuple[Column, ...]:
        if model in stack:
            chain = " → ".join(m.__name__ for m in (*stack, model))
            raise DeclarationError(f"{chain}: a model cannot contain itself", "break the cycle")
        return tuple(self.column(model, spec, (*stack, model)) for spec in schema_fields(model))

    def column(self, model: type, spec: FieldSpec, stack: tuple[type, ...]) -> Column:
        where = f"{model.__name__}.{spec.name}"
        if spec.annotation is None:
            raise DeclarationError(f"{where}: the field has no type annotation", f"annotate it with one of {SUPPORTED}")
        data_type, optional, extras = self.resolve_with_extras(spec.annotation, spec.extras, where, stack)
        data_type = self.aggregate(data_type, extras, where, stack)
        modifiers = {cls: _first(extras, cls) for cls in _MODIFIERS}
        default, materialized, alias = (modifiers[marks.ClickhouseDefault], modifiers[marks.ClickHouseMaterialized],
                                        modifiers[marks.ClickHouseAlias])
        given = [n for n, m in (("DEFAULT", default), ("MATERIALIZED", materialized), ("ALIAS", alias)) if m]
        if len(given) > 1:
            raise DeclarationError(f"{where}: {' and '.join(given)} are mutually exclusive", "keep only one of them")
        primary_key = modifiers[marks.PrimaryKeyMarker] is not None
        if alias is not None and primary_key:
            raise DeclarationError(f"{where}: an ALIAS column cannot be part of the key",
                                   "use MATERIALIZED instead, or drop Key[...]")
        ttl, codec = modifiers[marks.ClickHouseTTL], modifiers[marks.ClickHouseCodec]
        return Column(
            name=spec.column_name or spec.name, data_type=data_type,
            nullable=optional and can_be_nullable(data_type), primary_key=primary_key,
            default=default and default.expression, materialized=materialized and materialized.expression,
            alias=alias and alias.expression, comment=spec.description, ttl=ttl and ttl.expression,
            codec=codec and codec.expression,
        )

    def aggregate(self, data_type: ch.DataType, extras: list[Any], where: str,
                  stack: tuple[type, ...]) -> ch.DataType:
        """``aggregated``/``simple_aggregated`` replace the column's type with the aggregate's."""
        agg = _first(extras, marks.AggregateFunction)
        if agg is not None:
            arguments = []
            for index, param in enumerate(agg.param_types):
                arg_type, arg_optional = self.resolve(param, (), f"{where} (aggregate argument {index + 1})", stack)
                arguments.append(nullable(arg_type) if arg_optional else arg_type)
            return ch.AggregateFunction(agg.agg_func, tuple(arguments))
        simple = _first(extras, marks.SimpleAggregateFunction)
        if simple is not None:
            inner = data_type.inner if isinstance(data_type, ch.LowCardinality) else data_type
            return ch.SimpleAggregateFunction(simple.agg_func, (inner,))
        return data_type

    def resolve(self, annotation: Any, extras: Sequence[Any], where: str,
                stack: tuple[type, ...]) -> tuple[ch.DataType, bool]:
        """The ClickHouse type of an annotation, and whether it is optional."""
        data_type, optional, _ = self.resolve_with_extras(annotation, extras, where, stack)
        return data_type, optional

    def resolve_with_extras(self, annotation: Any, extras: Sequence[Any], where: str,
                            stack: tuple[type, ...]) -> tuple[ch.DataType, bool, list[Any]]:
        """:meth:`resolve`, plus every marker found around the type (``Annotated`` inside or outside ``Optional``)."""
        annotation, collected = peel(annotation, extras)
        optional, annotation = split_optional(annotation)
        annotation, collected = peel(annotation, collected)
        data_type, low_cardinality = self.base(annotation, collected, where, stack)
        if isinstance(data_type, ch.Nullable):  # only clickhouse_type("Nullable(...)") gives one
            optional, data_type = True, data_type.inner
        if low_cardinality or marks.LowCardinality in collected:
            data_type = data_type if isinstance(data_type, ch.LowCardinality) else ch.LowCardinality(data_type)
        return data_type, optional, collected

    def element(self, annotation: Any, where: str, stack: tuple[type, ...]) -> ch.DataType:
        data_type, optional = self.resolve(annotation, (), where, stack)
        return nullable(data_type) if optional else data_type

    def base(self, tp: Any, extras: list[Any], where: str,
             stack: tuple[type, ...]) -> tuple[ch.DataType, bool]:
        exact = _first(extras, marks.ClickHouseType)
        if exact is not None:
            self.read_type_text = True
            return _exact_type(exact.type_text, where)
        geo = next((e for e in extras if isinstance(e, str) and e in marks.GEO_TYPES), None)
        if geo is not None:
            _check_geo(geo, tp, where)
            return ch.Simple(geo), False
        if tp is str or tp is bytes:
            fixed = _first(extras, marks.ClickhouseFixedStringSize)
            return (ch.FixedString(fixed.size) if fixed else ch.Simple("String")), False
        if tp is bool:
            return ch.Simple("Bool"), False
        if tp is int:
            marker = next((m for e in extras if isinstance(e, str) and (m := _INT_MARKER.match(e))), None)
            if marker is None:
                return ch.Simple("Int64"), False
            return ch.Simple(f"{'U' if marker.group(1) else ''}Int{marker.group(2)}"), False
        if tp is float:
            return _float(extras, where), False
        if tp is PyDecimal:
            precision = next((e.max_digits for e in extras if getattr(e, "max_digits", None) is not None), 10)
            scale = next((e.decimal_places for e in extras if getattr(e, "decimal_places", None) is not None), 0)
            return ch.Decimal(int(precision), int(scale)), False
        if tp is datetime:
            precision = _first(extras, marks.ClickhousePrecision)
            return (ch.DateTime64(precision.precision) if precision else ch.DateTime()), False
        if tp is date:
            size = _first(extras, marks.ClickhouseSize)
            if size is None or size.size == 4:
                return ch.Simple("Date32"), False
            if size.size == 2:
                return ch.Simple("Date"), False
            raise DeclarationError(f"{where}: unsupported date size {size.size}", "use ClickhouseSize(2) or (4)")
        simple = {uuid.UUID: "UUID", ipaddress.IPv4Address: "IPv4", ipaddress.IPv6Address: "IPv6"}.get(tp)
        if simple is not None:
            return ch.Simple(simple), False
        if tp is Any or tp is dict:
            return ch.Json(), False
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if tp is list or origin is list:
            if len(args) != 1:
                raise DeclarationError(f"{where}: list needs an element type", "write list[str] (or similar)")
            return ch.Array(self.element(args[0], f"{where}[]", stack)), False
        if origin is dict:
            if not args or (args[0] is str and args[1] is Any):
                return ch.Json(), False
            key = self.element(args[0], f"{where} (map key)", stack)
            return ch.Map(key, self.element(args[1], f"{where} (map value)", stack)), False
        if origin is Literal:
            if args and all(isinstance(a, str) for a in args):
                return ch.Simple("String"), True
            raise DeclarationError(f"{where}: Literal[...] must list strings only",
                                   "use an Enum for numeric choices")
        if is_schema_class(tp):
            return self.nested(tp, extras, where, stack), False
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum(tp, where), False
        raise DeclarationError(f"{where}: unsupported type {_type_name(tp)}", f"use one of {SUPPORTED}")

    def nested(self, model: type, extras: list[Any], where: str, stack: tuple[type, ...]) -> ch.DataType:
        """A nested model: ``Nested``, a named ``Tuple`` (``ClickHouseNamedTuple``) or ``JSON`` (``ClickHouseJson``)."""
        columns = self.columns(model, stack)
        for column in columns:
            for kind in ("default", "materialized", "alias"):
                if getattr(column, kind) is not None:
                    raise DeclarationError(
                        f"{where}: field {model.__name__}.{column.name} of a nested model has a {kind.upper()}",
                        "put column modifiers on the top-level field",
                    )
        elements = tuple(ch.TupleElement(c.name, nullable(c.data_type) if c.nullable else c.data_type)
                         for c in columns)
        json = _first(extras, marks.ClickHouseJson)
        if json is not None:
            if not allows_extra(model):
                raise DeclarationError(f"{where}: {model.__name__} is used with ClickHouseJson but rejects extra keys",
                                       "add model_config = ConfigDict(extra='allow') to it")
            return ch.Json(
                max_dynamic_paths=json.max_dynamic_paths, max_dynamic_types=json.max_dynamic_types,
                typed_paths=tuple(ch.JsonTypedPath(e.name or "", e.type) for e in elements),
                skip_paths=tuple(json.skip_paths), skip_regexps=tuple(json.skip_regexps),
            )
        if marks.ClickHouseNamedTuple in extras:
            return ch.Tuple(elements)
        return ch.Nested(elements)


def _exact_type(text: str, where: str) -> tuple[ch.DataType, bool]:
    """``clickhouse_type(text)``: the type the declaring dialect reads (a top-level ``Nullable`` is turned into an
    optional column by :meth:`_Mapper.resolve_with_extras`)."""
    try:
        data_type = declaring_dialect().parse_type(text)
    except ValueError as exc:
        raise DeclarationError(f"{where}: clickhouse_type({text!r}) is not a ClickHouse type: {exc}",
                               "write the type as ClickHouse prints it, e.g. 'Array(Nullable(String))'") from None
    return data_type, False


def _float(extras: list[Any], where: str) -> ch.DataType:
    size = _first(extras, marks.ClickhouseSize)
    if size is not None:
        if size.size not in (4, 8):
            raise DeclarationError(f"{where}: unsupported float size {size.size}", "use ClickhouseSize(4) or (8)")
        return ch.Simple("Float32" if size.size == 4 else "Float64")
    marker = next((e for e in extras if e in ("float32", "float64")), None)
    return ch.Simple("Float32" if marker == "float32" else "Float64")


def _enum(cls: type[enum.Enum], where: str) -> ch.Enum:
    members = list(cls)
    if not members:
        raise DeclarationError(f"{where}: enum {cls.__name__} has no members", "add members or use str")
    values = [m.value for m in members]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        result = tuple(ch.EnumMember(m.name, int(m.value)) for m in members)
    elif all(isinstance(v, str) for v in values):
        result = tuple(ch.EnumMember(str(v), index + 1) for index, v in enumerate(values))
    else:
        raise DeclarationError(f"{where}: enum {cls.__name__} mixes value types",
                               "give every member an int value, or every member a str value")
    numbers = [m.value for m in result]
    if all(-128 <= n <= 127 for n in numbers):
        bits = 8
    elif all(-32768 <= n <= 32767 for n in numbers):
        bits = 16
    else:
        raise DeclarationError(f"{where}: enum {cls.__name__} has values outside Enum16's range",
                               "keep values between -32768 and 32767")
    return ch.Enum(bits, result, name=cls.__name__)


def _is_point(tp: Any) -> bool:
    return typing.get_origin(tp) is tuple and typing.get_args(tp) == (float, float)


def _list_of(tp: Any, depth: int) -> bool:
    for _ in range(depth):
        tp, _extras = peel(tp)
        if typing.get_origin(tp) is not list:
            return False
        tp = typing.get_args(tp)[0]
    return _is_point(peel(tp)[0])


_GEO_DEPTH = {"Point": 0, "Ring": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
_GEO_SHAPE = {0: "tuple[float, float]", 1: "list[tuple[float, float]]", 2: "list[list[tuple[float, float]]]",
              3: "list[list[list[tuple[float, float]]]]"}


def _check_geo(name: str, tp: Any, where: str) -> None:
    depth = _GEO_DEPTH[name]
    if not _list_of(tp, depth):
        raise DeclarationError(f"{where}: {name} must be typed as {_GEO_SHAPE[depth]}", f"use muskox.{name}")
