"""Data types in Moose's JSON encoding (spec 2.3), with muskox's lossless extensions.

Moose writes scalars as names (``"String"``, ``"Boolean"``, ``"Date"`` meaning ``Date32``, ``"DateTime(3)"``
meaning ``DateTime64(3)``, ``"Decimal(10, 2)"``, ``"FixedString(16)"``) and composite types as objects
discriminated by their keys (``{"elementType", "elementNullable"}``, ``{"keyType", "valueType"}``,
``{"fields"}``, ``{"nullable"}``, …); that vocabulary is read and written here. Where Moose has no encoding (a
time zone, an unnamed tuple, a ``LowCardinality`` below the top level, an ``Enum16`` with small values, an
``AggregateFunction``), muskox writes the type's text in the OLAP backend's dialect (:class:`TypeText`), which
reads it back exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

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
)


class TypeText(Protocol):
    """How the OLAP backend writes types as text (a :class:`muskox.plugin.dialect.Dialect` is one)."""

    def render_type(self, data_type: DataType) -> str:
        """The text of ``data_type``."""

    def parse_type(self, text: str) -> DataType:
        """The type ``text`` writes; raises :class:`muskox.model.types.TypeSyntaxError`."""


#: Simple type → Moose name, where they differ.
_TO_MOOSE = {"Bool": "Boolean", "Date": "Date16", "Date32": "Date"}
_FROM_MOOSE = {v: k for k, v in _TO_MOOSE.items()} | {"Uuid": "UUID", "IpV4": "IPv4", "IpV6": "IPv6"}
_MOOSE_DATETIME64 = re.compile(r"^DateTime\((\d+)\)$")
_MOOSE_DECIMAL = re.compile(r"^Decimal\((\d+), ?(\d+)\)$")
_MOOSE_FIXED_STRING = re.compile(r"^FixedString\((\d+)\)$")
_MOOSE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def enum_bits(members: tuple[EnumMember, ...]) -> int:
    """8 when every value fits ``Enum8``, else 16 (how Moose chooses)."""
    return 8 if all(-128 <= m.value <= 127 for m in members) else 16


class TypeCodec:
    """Data types to and from Moose's ``data_type`` JSON, with the rest written as ``text``'s type text."""

    def __init__(self, text: TypeText) -> None:
        self.text = text
        """The dialect writing and reading the types Moose's vocabulary cannot express."""

    def encode(self, data_type: DataType) -> Any:
        """A data type as Moose's ``data_type`` JSON value."""
        match data_type:
            case Simple(name):
                return _TO_MOOSE.get(name, name)
            case DateTime(None):
                return "DateTime"
            case DateTime64(precision, None):
                return f"DateTime({precision})"
            case FixedString(length):
                return f"FixedString({length})"
            case Decimal(precision, scale):
                return f"Decimal({precision}, {scale})"
            case Enum(bits, members) if bits == enum_bits(members):
                return {"name": data_type.name,
                        "values": [{"name": m.name, "value": {"Int": m.value}} for m in members]}
            case Array(Nullable(inner)):
                return {"elementNullable": True, "elementType": self.encode(inner)}
            case Array(element):
                return {"elementNullable": False, "elementType": self.encode(element)}
            case Nullable(inner):
                return {"nullable": self.encode(inner)}
            case Map(key, value):
                return {"keyType": self.encode(key), "valueType": self.encode(value)}
            case Tuple(elements) if all(e.name is not None for e in elements):
                return {"fields": [[e.name, self.encode(e.type)] for e in elements]}
            case Nested():
                return {"name": "", "columns": self.encode_nested_columns(data_type), "jwt": False}
            case Json(max_paths, max_types, typed, skips, regexps):
                if data_type == Json():
                    return "Json"
                encoded: dict[str, Any] = {
                    "typed_paths": [[p.path, self.encode(p.type)] for p in typed],
                    "skip_paths": list(skips), "skip_regexps": list(regexps),
                }
                if max_paths is not None:
                    encoded["max_dynamic_paths"] = max_paths
                if max_types is not None:
                    encoded["max_dynamic_types"] = max_types
                return encoded
        return self.text.render_type(data_type)

    def decode(self, value: Any, where: str = "data_type") -> DataType:
        """Read Moose's ``data_type`` JSON (or muskox's extension: the dialect's type text)."""
        if isinstance(value, str):
            return self._decode_text(value, where)
        if isinstance(value, dict):
            keys = set(value)
            if {"elementType", "elementNullable"} <= keys:
                element = self.decode(value["elementType"], f"{where}.elementType")
                return Array(Nullable(element) if value["elementNullable"] else element)
            if keys == {"nullable"}:
                return Nullable(self.decode(value["nullable"], f"{where}.nullable"))
            if {"keyType", "valueType"} <= keys:
                return Map(self.decode(value["keyType"], f"{where}.keyType"),
                           self.decode(value["valueType"], f"{where}.valueType"))
            if "values" in keys and "name" in keys:
                return _decode_enum(value, where)
            if "columns" in keys and "name" in keys:
                return self._decode_nested(value, where)
            if keys == {"fields"}:
                return Tuple(tuple(TupleElement(str(n), self.decode(t, f"{where}.fields.{n}"))
                                   for n, t in value["fields"]))
            if keys & {"typed_paths", "skip_paths", "skip_regexps", "max_dynamic_paths", "max_dynamic_types"}:
                return Json(
                    value.get("max_dynamic_paths"), value.get("max_dynamic_types"),
                    tuple(JsonTypedPath(str(p), self.decode(t, f"{where}.typed_paths")) for p, t in
                          value.get("typed_paths") or []),
                    tuple(value.get("skip_paths") or []), tuple(value.get("skip_regexps") or []),
                )
        raise ValueError(f"{where}: unknown data type encoding {value!r}")

    def _decode_text(self, value: str, where: str) -> DataType:
        if value in _FROM_MOOSE:
            return Simple(_FROM_MOOSE[value])
        if value == "Json":
            return Json()
        if value == "DateTime":
            return DateTime()
        if _MOOSE_NAME.match(value):
            return Simple(value)
        for pattern, build in _MOOSE_PATTERNS:
            match = pattern.match(value)
            if match:
                return build(*map(int, match.groups()))
        try:
            return self.text.parse_type(value)
        except TypeSyntaxError as exc:
            raise ValueError(f"{where}: {exc.problem}") from None

    def _decode_nested(self, value: dict[str, Any], where: str) -> Nested:
        fields: list[TupleElement] = []
        for index, column in enumerate(value["columns"]):
            data_type = self.decode(column["data_type"], f"{where}.columns[{index}].data_type")
            if column.get("required") is False and not isinstance(data_type, Array | Nested):
                data_type = Nullable(data_type)
            fields.append(TupleElement(str(column["name"]), data_type))
        return Nested(tuple(fields))

    def encode_nested_columns(self, nested: Nested) -> list[dict[str, Any]]:
        """Moose's ``columns`` of a Nested type (used by the column codec)."""
        columns = []
        for field in nested.fields:
            inner, nullable = (field.type.inner, True) if isinstance(field.type, Nullable) else (field.type, False)
            columns.append({"name": field.name, "data_type": self.encode(inner), "required": not nullable,
                            "unique": False, "primary_key": False, "default": None, "annotations": []})
        return columns


_MOOSE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[..., DataType]], ...] = (
    (_MOOSE_DATETIME64, DateTime64), (_MOOSE_DECIMAL, Decimal), (_MOOSE_FIXED_STRING, FixedString))


def _decode_enum(value: dict[str, Any], where: str) -> Enum:
    members: list[EnumMember] = []
    for index, member in enumerate(value["values"]):
        raw = member.get("value")
        if isinstance(raw, dict) and "Int" in raw:
            members.append(EnumMember(str(member["name"]), int(raw["Int"])))
        elif isinstance(raw, dict) and "String" in raw:
            # string enums become labels (their values), auto-numbered from 1, as Moose creates them
            members.append(EnumMember(str(raw["String"]), index + 1))
        else:
            raise ValueError(f"{where}.values[{index}].value: expected {{Int: n}} or {{String: s}}, got {raw!r}")
    return Enum(enum_bits(tuple(members)), tuple(members), name=str(value.get("name") or ""))
