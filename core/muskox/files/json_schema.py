"""A JSON Schema (draft 2020-12) for ``plan.yaml``, generated from the registered operation classes.

Editors that speak the yaml-language-server protocol validate and complete hand edits with it; the header
line of ``plan.yaml`` points at it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from muskox.model.operations import Operation
from muskox.model.resources import Topic
from muskox.model.table import Column, Table, TableIndex, TableProjection

_COLUMN: dict[str, Any] = {
    "type": "object",
    "required": ["name", "data_type"],
    "properties": {
        "name": {"type": "string"},
        "data_type": {"description": "Moose's type encoding: a name such as String, or an object "
                                     "(elementType, keyType/valueType, fields, nullable, values, …)",
                      "type": ["string", "object"]},
        "required": {"type": "boolean", "description": "false makes the column Nullable"},
        "unique": {"type": "boolean"},
        "primary_key": {"type": "boolean"},
        "default": {"type": ["string", "null"]},
        "materialized": {"type": ["string", "null"]},
        "alias": {"type": ["string", "null"]},
        "comment": {"type": ["string", "null"]},
        "codec": {"type": ["string", "null"]},
        "ttl": {"type": ["string", "null"]},
        "annotations": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2}},
    },
    "additionalProperties": False,
}
_TABLE: dict[str, Any] = {
    "type": "object",
    "required": ["name", "columns"],
    "properties": {"name": {"type": "string"}, "columns": {"type": "array", "items": _COLUMN},
                   "order_by": {"type": ["array", "string"]}, "engine": {"type": ["string", "object"]}},
}
_INDEX: dict[str, Any] = {
    "type": "object", "required": ["name", "expression", "type"],
    "properties": {"name": {"type": "string"}, "expression": {"type": "string"}, "type": {"type": "string"},
                   "arguments": {"type": "array", "items": {"type": "string"}},
                   "granularity": {"type": "integer", "minimum": 1}},
    "additionalProperties": False,
}
_PROJECTION: dict[str, Any] = {
    "type": "object", "required": ["name", "body"],
    "properties": {"name": {"type": "string"}, "body": {"type": "string"}}, "additionalProperties": False,
}
_TOPIC: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "description": "physical topic name (namespace included)"},
                   "partition_count": {"type": "integer", "minimum": 1},
                   "retention_period": {"type": ["object", "null"],
                                        "properties": {"secs": {"type": "integer"}, "nanos": {"type": "integer"}}},
                   "max_message_bytes": {"type": ["integer", "null"]},
                   "configs": {"type": "object", "additionalProperties": {"type": "string"}}},
}
_NAMED = {Column: _COLUMN, Table: _TABLE, TableIndex: _INDEX, TableProjection: _PROJECTION, Topic: _TOPIC}


def type_schema(tp: Any) -> dict[str, Any]:
    """The schema of one field type."""
    if tp in _NAMED:
        return _NAMED[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        options = [type_schema(a) for a in args]
        return {"anyOf": options}
    if origin in (tuple, list):
        return {"type": "array", "items": type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(args[1])}
    simple = {str: "string", int: "integer", bool: "boolean", float: "number", type(None): "null"}
    if tp in simple:
        return {"type": simple[tp]}
    return {}


def operation_schema(cls: type[Operation]) -> dict[str, Any]:
    """``{Name: {fields}}`` for one operation class."""
    fields = attrs.fields(attrs.resolve_types(cls))
    body = {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
        "properties": {f.name: type_schema(f.type) for f in fields},
        "required": [f.name for f in fields if f.default is attrs.NOTHING],
        "additionalProperties": False,
    }
    return {"type": "object", "properties": {cls.__name__: body}, "required": [cls.__name__],
            "additionalProperties": False}


def plan_schema(operation_types: Mapping[str, type[Operation]]) -> dict[str, Any]:
    """The schema of a whole ``plan.yaml``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "muskox migration plan (plan.yaml)",
        "type": "object",
        "required": ["created_at", "operations"],
        "properties": {
            "created_at": {"type": "string", "description": "RFC 3339 UTC timestamp of generation"},
            "operations": {"type": "array", "items": {"oneOf": [operation_schema(cls) for _, cls in
                                                                 sorted(operation_types.items())]}},
        },
        "additionalProperties": False,
    }


