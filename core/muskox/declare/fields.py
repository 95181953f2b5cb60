"""The fields of a schema class: pydantic models, dataclasses and attrs classes, read the same way.

pydantic is never imported here: a class can only be a pydantic model if pydantic is already loaded.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from typing import Any

import attrs

from muskox.declare.errors import DeclarationError


@attrs.frozen
class FieldSpec:
    """One field of a schema class, with what the column mapping needs."""

    name: str
    """The Python attribute name."""
    annotation: Any
    """The declared type (for pydantic: without the outer ``Annotated``, whose metadata is in ``extras``)."""
    extras: tuple[Any, ...] = ()
    """Metadata found outside the annotation (pydantic's ``FieldInfo.metadata``)."""
    column_name: str = ""
    """The column name: the field's alias when it has one, else its name."""
    description: str | None = None
    """The column comment."""


def pydantic_base_model() -> type | None:
    """``pydantic.BaseModel`` if pydantic is loaded, else None."""
    module = sys.modules.get("pydantic")
    base = getattr(module, "BaseModel", None) if module is not None else None
    return base if isinstance(base, type) else None


def is_pydantic_model(tp: object) -> bool:
    """True for a pydantic model class."""
    base = pydantic_base_model()
    return base is not None and isinstance(tp, type) and issubclass(tp, base)


def is_schema_class(tp: object) -> bool:
    """True for a class muskox can read columns from (pydantic model, dataclass or attrs class)."""
    if not isinstance(tp, type):
        return False
    return dataclasses.is_dataclass(tp) or attrs.has(tp) or is_pydantic_model(tp)


def allows_extra(model: type) -> bool:
    """True when a pydantic model is configured with ``extra='allow'`` (other classes: always True)."""
    if not is_pydantic_model(model):
        return True
    config = getattr(model, "model_config", {}) or {}
    return bool(config.get("extra") == "allow")


def schema_fields(model: type) -> list[FieldSpec]:
    """The fields of ``model`` in declaration order."""
    if is_pydantic_model(model):
        return _pydantic_fields(model)
    if dataclasses.is_dataclass(model):
        hints = _type_hints(model)
        return [_plain_field(f.name, hints.get(f.name, f.type), f.metadata) for f in dataclasses.fields(model)]
    if attrs.has(model):
        hints = _type_hints(model)
        return [_plain_field(a.name, hints.get(a.name, a.type), a.metadata) for a in attrs.fields(model)]
    raise DeclarationError(
        f"{getattr(model, '__name__', model)!s} is not a schema class",
        "declare the table's schema as a pydantic BaseModel, a @dataclass or an attrs class",
    )


def _type_hints(model: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(model, include_extras=True)
    except (NameError, TypeError) as exc:
        raise DeclarationError(
            f"{model.__name__}: cannot resolve its field annotations ({exc})",
            "import every type its annotations name at module level",
        ) from None


def _plain_field(name: str, annotation: Any, metadata: Any) -> FieldSpec:
    meta = dict(metadata or {})
    alias = meta.get("alias")
    description = meta.get("description")
    return FieldSpec(
        name=name, annotation=annotation, column_name=str(alias) if alias else name,
        description=None if description is None else str(description),
    )


def _pydantic_fields(model: type) -> list[FieldSpec]:
    fields: dict[str, Any] = getattr(model, "model_fields", {})
    result = []
    for name, info in fields.items():
        alias = getattr(info, "alias", None)
        result.append(FieldSpec(
            name=name, annotation=info.annotation, extras=tuple(getattr(info, "metadata", ()) or ()),
            column_name=alias or name, description=getattr(info, "description", None),
        ))
    return result
