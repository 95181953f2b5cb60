"""Data types in Moose's JSON encoding (spec 2.3), with muskox's lossless extensions.

Moose writes scalars as names (``"String"``, ``"Boolean"``, ``"Date"`` meaning ClickHouse ``Date32``,
``"DateTime(3)"`` meaning ``DateTime64(3)``) and composite types as objects discriminated by their keys
(``{"elementType", "elementNullable"}``, ``{"keyType", "valueType"}``, ``{"fields"}``, ``{"nullable"}``, …).
Where Moose has no encoding (a time zone, an unnamed tuple, a ``LowCardinality`` below the top level, an
``Enum16`` with small values, an ``AggregateFunction``), muskox writes that type's ClickHouse text, which it
reads back exactly.
"""

from __future__ import annotations

import re
from typing import Any

from muskox.model.types import (
    Array,
    DataType,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    EnumMember,
    FixedString,
    Json,
    JsonTypedPath,
    Map,
    Nested,
    Nullable,
    Simple,
    Tuple,
    TupleElement,
    TypeSyntaxError,
    parse_type,
    render_type,
)

#: ClickHouse simple type → Moose name, where they differ.
_TO_MOOSE = {"Bool": "Boolean", "Date": "Date16", "Date32": "Date"}
_FROM_MOOSE = {v: k for k, v in _TO_MOOSE.items()} | {"Uuid": "UUID", "IpV4": "IPv4", "IpV6": "IPv6"}
_MOOSE_DATETIME64 = re.compile(r"^DateTime\((\d+)\)$")


def enum_bits(members: tuple[EnumMember, ...]) -> int:
    """8 when every value fits ``Enum8``, else 16 (how Moose chooses)."""
    return 8 if all(-128 <= m.value <= 127 for m in members) else 16


def encode_type(data_type: DataType) -> Any:
    """A data type as Moose's ``data_type`` JSON value."""
    match data_type:
        case Simple(name):
            return _TO_MOOSE.get(name, name)
        case DateTime(None):
            return "DateTime"
        case DateTime64(precision, None):
            return f"DateTime({precision})"
        case FixedString() | Decimal() | DateTime() | DateTime64():
            return render_type(data_type)
        case Enum(bits, members) if bits == enum_bits(members):
            return {"name": data_type.name, "values": [{"name": m.name, "value": {"Int": m.value}} for m in members]}
        case Array(Nullable(inner)):
            return {"elementNullable": True, "elementType": encode_type(inner)}
        case Array(element):
            return {"elementNullable": False, "elementType": encode_type(element)}
        case Nullable(inner):
            return {"nullable": encode_type(inner)}
        case Map(key, value):
            return {"keyType": encode_type(key), "valueType": encode_type(value)}
        case Tuple(elements) if all(e.name is not None for e in elements):
            return {"fields": [[e.name, encode_type(e.type)] for e in elements]}
        case Nested():
            return {"name": "", "columns": encode_nested_columns(data_type), "jwt": False}
        case Json(max_paths, max_types, typed, skips, regexps):
            if data_type == Json():
                return "Json"
            encoded: dict[str, Any] = {
                "typed_paths": [[p.path, encode_type(p.type)] for p in typed],
                "skip_paths": list(skips), "skip_regexps": list(regexps),
            }
            if max_paths is not None:
                encoded["max_dynamic_paths"] = max_paths
            if max_types is not None:
                encoded["max_dynamic_types"] = max_types
            return encoded
    return render_type(data_type)


def decode_type(value: Any, where: str = "data_type") -> DataType:
    """Read Moose's ``data_type`` JSON (or muskox's ClickHouse-text extension)."""
    if isinstance(value, str):
        if value in _FROM_MOOSE:
            return Simple(_FROM_MOOSE[value])
        if value == "Json":
            return Json()
        match = _MOOSE_DATETIME64.match(value)
        if match:
            return DateTime64(int(match.group(1)))
        try:
            return parse_type(value)
        except TypeSyntaxError as exc:
            raise ValueError(f"{where}: {exc.problem}") from None
    if isinstance(value, dict):
        keys = set(value)
        if {"elementType", "elementNullable"} <= keys:
            element = decode_type(value["elementType"], f"{where}.elementType")
            return Array(Nullable(element) if value["elementNullable"] else element)
        if keys == {"nullable"}:
            return Nullable(decode_type(value["nullable"], f"{where}.nullable"))
        if {"keyType", "valueType"} <= keys:
            return Map(decode_type(value["keyType"], f"{where}.keyType"),
                       decode_type(value["valueType"], f"{where}.valueType"))
        if "values" in keys and "name" in keys:
            return _decode_enum(value, where)
        if "columns" in keys and "name" in keys:
            return _decode_nested(value, where)
        if keys == {"fields"}:
            return Tuple(tuple(TupleElement(str(n), decode_type(t, f"{where}.fields.{n}")) for n, t in value["fields"]))
        if keys & {"typed_paths", "skip_paths", "skip_regexps", "max_dynamic_paths", "max_dynamic_types"}:
            return Json(
                value.get("max_dynamic_paths"), value.get("max_dynamic_types"),
                tuple(JsonTypedPath(str(p), decode_type(t, f"{where}.typed_paths")) for p, t in
                      value.get("typed_paths") or []),
                tuple(value.get("skip_paths") or []), tuple(value.get("skip_regexps") or []),
            )
    raise ValueError(f"{where}: unknown data type encoding {value!r}")


def _decode_enum(value: dict[str, Any], where: str) -> Enum:
    members: list[EnumMember] = []
    for index, member in enumerate(value["values"]):
        raw = member.get("value")
        if isinstance(raw, dict) and "Int" in raw:
            members.append(EnumMember(str(member["name"]), int(raw["Int"])))
        elif isinstance(raw, dict) and "String" in raw:
            # string enums become ClickHouse labels (their values), auto-numbered from 1, as Moose creates them
            members.append(EnumMember(str(raw["String"]), index + 1))
        else:
            raise ValueError(f"{where}.values[{index}].value: expected {{Int: n}} or {{String: s}}, got {raw!r}")
    return Enum(enum_bits(tuple(members)), tuple(members), name=str(value.get("name") or ""))


def _decode_nested(value: dict[str, Any], where: str) -> Nested:
    fields: list[TupleElement] = []
    for index, column in enumerate(value["columns"]):
        data_type = decode_type(column["data_type"], f"{where}.columns[{index}].data_type")
        if column.get("required") is False and not isinstance(data_type, Array | Nested):
            data_type = Nullable(data_type)
        fields.append(TupleElement(str(column["name"]), data_type))
    return Nested(tuple(fields))


def encode_nested_columns(nested: Nested) -> list[dict[str, Any]]:
    """Moose's ``columns`` of a Nested type (used by the column codec)."""
    columns = []
    for field in nested.fields:
        inner, nullable = (field.type.inner, True) if isinstance(field.type, Nullable) else (field.type, False)
        columns.append({"name": field.name, "data_type": encode_type(inner), "required": not nullable,
                        "unique": False, "primary_key": False, "default": None, "annotations": []})
    return columns
