"""Config sections declared by plugins (``muskox_register_config_sections``).

A section is a frozen, keyword-only attrs class whose fields all have defaults; each field's type is one the
loader checks (``str``, ``int``, ``bool``, ``list[...]`` of those, or ``X | None``), and its metadata may say
``secret=True`` (masked in ``muskox config show`` and in error messages) and ``doc`` (one line). :func:`setting`
builds such a field. Once registered, a section is read from ``muskox.toml``, ``[tenants.NAME.<section>]`` and
``MUSKOX_<SECTION>__<KEY>`` exactly like a built-in one, and :meth:`muskox.config.Config.section` returns it.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import attrs

__all__ = ["section_problem", "setting"]

_SCALARS = (str, int, bool)


def setting(default: Any, doc: str, *, secret: bool = False, validator: Any = None) -> Any:
    """One key of a config section: its default, a one-line description, and whether it is a secret.

    A list default is copied per instance. ``validator`` is an attrs validator; raise ``ValueError`` with a
    message that starts with the key's name to have it reported as ``<origin>: [<section>] <message>``."""
    metadata = {"doc": doc, "secret": secret}
    if isinstance(default, list):
        return attrs.field(factory=lambda: list(default), metadata=metadata, validator=validator)
    return attrs.field(default=default, metadata=metadata, validator=validator)


def _loadable(tp: Any) -> bool:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return len(inner) == 1 and _loadable(inner[0])
    if origin is list:
        return len(args) == 1 and (args[0] in _SCALARS or attrs.has(args[0]))
    return tp in _SCALARS


def section_problem(cls: Any) -> str | None:
    """Why ``cls`` cannot be a config section, or None when it can."""
    if not (isinstance(cls, type) and attrs.has(cls)):
        return "it is not an attrs class"
    try:
        fields = attrs.fields(attrs.resolve_types(cls))
    except Exception as exc:  # an annotation that does not resolve
        return f"its field types do not resolve ({exc})"
    for field in fields:
        if field.default is attrs.NOTHING:
            return f"its field '{field.name}' has no default"
        if not _loadable(field.type):
            return f"its field '{field.name}' has type {field.type!r}; use str, int, bool, a list or X | None of them"
    return None
