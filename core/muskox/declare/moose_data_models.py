"""The rest of Moose's ``moose_lib.data_models``: its description of column types (``DataEnum``, ``ArrayType``,
``Nested``, …, as its infra map encodes them), the helpers that read annotations, and ``StringToEnumMixin``.

muskox maps annotations to columns itself (:mod:`muskox.declare.schema`); these give a project that calls Moose's
helpers the same answers, in Moose's encoding.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

import attrs

from muskox.declare.annotations import PRIMARY_KEY, ClickHouseJson, JwtMarker
from muskox.declare.config_checks import config_class
from muskox.declare.schema import data_type_of, peel, split_optional


@config_class
@attrs.define(kw_only=True)
class EnumValue:
    """One member of an enum type: ``name`` and ``value`` (an int or a string)."""

    name: str
    value: int | str


@config_class
@attrs.define(kw_only=True)
class DataEnum:
    """An enum type: its ``name`` and ``values``."""

    name: str
    values: list[EnumValue]


@config_class
@attrs.define(kw_only=True)
class Nested:
    """A nested model stored as ``Nested(...)``: its ``name`` and ``columns``."""

    name: str
    columns: list[Any]
    jwt: bool = False


@config_class
@attrs.define(kw_only=True)
class ArrayType:
    """``Array(element_type)`` (elements Nullable when ``element_nullable``)."""

    element_type: Any
    element_nullable: bool


@config_class
@attrs.define(kw_only=True)
class NamedTupleType:
    """A named ``Tuple``: ``fields`` as ``(name, type)`` pairs."""

    fields: list[tuple[str, Any]]


@config_class
@attrs.define(kw_only=True)
class MapType:
    """``Map(key_type, value_type)``."""

    key_type: Any
    value_type: Any


@config_class
@attrs.define(kw_only=True)
class JsonOptions:
    """``JSON(...)`` with options and typed paths."""

    max_dynamic_paths: int | None = None
    max_dynamic_types: int | None = None
    typed_paths: list[tuple[str, Any]] = attrs.field(factory=list)
    skip_paths: list[str] = attrs.field(factory=list)
    skip_regexps: list[str] = attrs.field(factory=list)


DataType = str | DataEnum | ArrayType | Nested | NamedTupleType | MapType | JsonOptions
"""Any column type as Moose describes it."""


def moose_data_type(annotation: Any) -> Any:
    """A Python annotation's type in Moose's encoding (``"Int64"``, ``{"elementType": …}``, …)."""
    from muskox.declare.registry import declaring_codec

    data_type, _optional = data_type_of(annotation)
    return declaring_codec().types.encode(data_type)


def py_type_to_column_type(t: Any, mds: list[Any]) -> tuple[bool, list[Any], Any]:
    """``(optional, metadata, data_type)`` of an annotation, ``data_type`` in Moose's encoding."""
    peeled, metadata = peel(t, mds)
    optional, _inner = split_optional(peeled)
    wrapped = Annotated[(t, *mds)] if mds else t
    return optional, metadata, moose_data_type(wrapped)


def handle_annotation(t: Any, md: list[Any]) -> tuple[Any, list[Any]]:
    """``t`` without its ``Annotated`` layers, and their metadata after ``md``."""
    return peel(t, md)


def handle_optional(field_type: Any) -> tuple[bool, Any]:
    """``(True, T)`` for ``Optional[T]``, else ``(False, field_type)``."""
    return split_optional(field_type)


def handle_key(field_type: Any) -> tuple[bool, Any]:
    """``(True, T)`` for ``Key[T]``, else ``(False, field_type)``."""
    return _marked(field_type, lambda m: m == PRIMARY_KEY)


def handle_jwt(field_type: Any) -> tuple[bool, Any]:
    """``(True, T)`` for ``JWT[T]``, else ``(False, field_type)``."""
    return _marked(field_type, lambda m: isinstance(m, JwtMarker))


def _marked(field_type: Any, test: Any) -> tuple[bool, Any]:
    if typing.get_origin(field_type) is Annotated and any(test(m) for m in field_type.__metadata__):
        rest = tuple(m for m in field_type.__metadata__ if not test(m))
        return True, Annotated[(field_type.__origin__, *rest)] if rest else field_type.__origin__
    return False, field_type


def json_annotation_to_type(ch_json: ClickHouseJson | None, typed_paths: list[tuple[str, Any]]) -> Any:
    """``"Json"`` without options, else :class:`JsonOptions`."""
    if ch_json is None or not (ch_json.max_dynamic_paths is not None or ch_json.max_dynamic_types is not None
                               or typed_paths or ch_json.skip_paths or ch_json.skip_regexps):
        return "Json"
    return JsonOptions(max_dynamic_paths=ch_json.max_dynamic_paths, max_dynamic_types=ch_json.max_dynamic_types,
                       typed_paths=list(typed_paths), skip_paths=list(ch_json.skip_paths),
                       skip_regexps=list(ch_json.skip_regexps))


def enum_value_serializer(value: int | str) -> dict[str, int | str]:
    """An enum member's value as Moose's infra map writes it: ``{"Int": 3}`` or ``{"String": "a"}``."""
    return {"Int": value} if isinstance(value, int) else {"String": value}


def is_array_nested_type(data_type: Any) -> bool:
    """True for ``Array(Nested(...))``."""
    return isinstance(data_type, ArrayType) and isinstance(data_type.element_type, Nested)


def is_nested_type(data_type: Any) -> bool:
    """True for ``Nested(...)``."""
    return isinstance(data_type, Nested)


class StringToEnumMixin:
    """Mix into an ``Enum`` so pydantic also accepts a member's *name* (``"ACTIVE"`` for ``Status.ACTIVE``)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def validate(value: Any, _info: Any) -> Any:
            if isinstance(value, str):
                try:
                    return cls[value]  # type: ignore[index]
                except KeyError:
                    raise ValueError(f"Invalid enum name: {value}") from None
            return cls(value)  # type: ignore[call-arg]

        return core_schema.with_info_before_validator_function(
            validate, core_schema.enum_schema(cls, list(cls)))  # type: ignore[call-overload]


