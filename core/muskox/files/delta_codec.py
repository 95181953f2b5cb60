"""Reading a delta's fields from YAML data, each checked against its declared type, problems reported by path.

Model values (tables, columns, views, materialized views, indexes, projections) go through the model codec
(:class:`muskox.model.codec.ModelCodec`); the rest are strings, optional strings, string maps, string lists and small
attrs records (a delta's ``policy``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

from muskox.model.codec import ModelCodec
from muskox.model.dictionary import Dictionary
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.sql_resource import SqlResource
from muskox.model.table import Column, Table, TableConstraint, TableIndex, TableProjection

_MODEL_TYPES = (Table, Column, View, MaterializedView, TableIndex, TableProjection, Topic, Dictionary, TableConstraint,
                SqlResource)


def read_delta_fields(cls: type, body: Mapping[str, Any], where: str,
                      codec: ModelCodec) -> tuple[dict[str, Any], list[str]]:
    """The constructor arguments of delta class ``cls`` from ``body``, or the problems found (one per line)."""
    fields = attrs.fields(attrs.resolve_types(cls))
    names = {field.name for field in fields}
    problems = [f"{where}: unknown field '{key}'" for key in sorted(set(body) - names)]
    values: dict[str, Any] = {}
    for field in fields:
        if field.name not in body:
            if field.default is attrs.NOTHING:
                problems.append(f"{where}.{field.name}: required field missing")
            continue
        try:
            values[field.name] = structure_value(body[field.name], field.type, codec)
        except (ValueError, TypeError, KeyError, AttributeError, cattrs.BaseValidationError) as exc:
            problems.append(f"{where}.{field.name}: {_message(exc)}")
    return values, problems


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"required key {exc} missing"
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc))
    return str(exc)


def structure_value(value: Any, tp: Any, codec: ModelCodec) -> Any:
    """``value`` read as type ``tp`` (raises ValueError/TypeError on a mismatch)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        if value is None and len(options) < len(args):
            return None
        if len(options) != 1:
            raise TypeError(f"cannot read a value of type {tp}")
        return structure_value(value, options[0], codec)
    if tp in _MODEL_TYPES:
        return codec.from_json(value, tp)
    if tp is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        return value
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping, got {value!r}")
        return {str(k): _scalar_text(v) for k, v in value.items()}
    if origin is tuple:
        if isinstance(value, str):  # one statement or column written without a list
            return (value,)
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {value!r}")
        return tuple(structure_value(v, args[0], codec) for v in value)
    if isinstance(tp, type) and attrs.has(tp):
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping, got {value!r}")
        return tp(**read_record(tp, value, codec))
    raise TypeError(f"cannot read a value of type {tp}")


def read_record(cls: type, value: Mapping[str, Any], codec: ModelCodec) -> dict[str, Any]:
    """Constructor arguments of a small attrs record (strings and optional strings)."""
    fields, problems = read_delta_fields(cls, value, "", codec)
    if problems:
        raise ValueError("; ".join(p.lstrip(": .") for p in problems))
    return fields


def _scalar_text(value: Any) -> str:
    """Setting values are strings; a hand-written ``8192`` or ``true`` reads as its text."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"expected a scalar, got {value!r}")
