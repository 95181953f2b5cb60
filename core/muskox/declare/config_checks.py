"""Checks shared by the declaration config classes (``OlapConfig``, ``ViewConfig``, …).

They behave like Moose's pydantic configs with ``extra="forbid"``, without needing pydantic: unknown
keyword arguments are rejected with the class and field named (and a close match suggested), and
values are checked and normalized where Moose's configs would coerce them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import attrs

from muskox.declare.errors import DeclarationError


@functools.cache
def _fields(cls: type) -> tuple[list[str], frozenset[str], list[str]]:
    """The keyword names of attrs class ``cls`` (as a list and a set) and the required ones."""
    known = [a.alias for a in attrs.fields(cls)]
    return known, frozenset(known), [a.alias for a in attrs.fields(cls) if a.default is attrs.NOTHING]


def reject_unknown(cls: type, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Raise for positional arguments, unknown keyword arguments or missing required fields of attrs class ``cls``."""
    known, known_set, required = _fields(cls)
    if args:
        raise DeclarationError(f"{cls.__name__} takes keyword arguments only",
                               f"write {cls.__name__}({known[0]}=..., ...)")
    for name in kwargs:
        if name not in known_set:
            import difflib  # only for the error's suggestion

            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DeclarationError(f"{cls.__name__}: unknown field {name!r}{hint}",
                                   f"use one of {', '.join(known)}")
    missing = [name for name in required if name not in kwargs]
    if missing:
        raise DeclarationError(f"{cls.__name__}: missing required field {missing[0]!r}",
                               f"give {cls.__name__}({', '.join(f'{n}=...' for n in missing)})")


def string_list(value: Any, where: str) -> list[str]:
    """A list of strings from any iterable of strings (a bare string is refused: it is a common slip)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise DeclarationError(f"{where}: expected a list of strings, got {value!r}", f"write {where}=[{value!r}]")
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise DeclarationError(f"{where}: expected strings, got {item!r}", "give names as strings")
    return items


def optional_string(value: Any, where: str) -> str | None:
    """None or a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DeclarationError(f"{where}: expected a non-empty string, got {value!r}", "give a string or leave it out")
    return value


def string_map(value: Any, where: str) -> dict[str, str] | None:
    """A ``{str: str}`` mapping (numbers and booleans are turned into their ClickHouse text)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise DeclarationError(f"{where}: expected a mapping of names to values, got {value!r}",
                               f'write {where}={{"name": "value"}}')
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str | int | float | bool):
            raise DeclarationError(f"{where}: {key!r}: expected a string value, got {item!r}", "give values as strings")
        result[key] = str(int(item)) if isinstance(item, bool) else str(item)
    return result


C = TypeVar("C", bound=type)


def config_class(cls: C) -> C:
    """Make the attrs class ``cls`` (``@attrs.define(kw_only=True)``) a declaration config class, as Moose's
    pydantic configs behave: unknown, positional or missing arguments are rejected with the class and field named
    (at the caller's ``file:line``), ``_normalize()`` (when the class has one) runs after construction, and
    ``inspect.signature(cls)`` shows the fields with their defaults."""
    from muskox.declare.location import checked

    if not attrs.has(cls):
        raise TypeError(f"{cls.__name__}: config_class needs an attrs class")
    init = cls.__init__
    if hasattr(cls, "_normalize"):
        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - the constructor
            init(self, *args, **kwargs)
            checked(self._normalize)

        cls.__init__ = __init__  # type: ignore[method-assign]

    def __new__(klass: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - the constructor hook
        checked(reject_unknown, klass, args, kwargs)
        return object.__new__(klass)

    cls.__new__ = __new__  # type: ignore[assignment]
    signature = inspect.signature(init)
    defaults = {a.alias: a.default.factory() for a in attrs.fields(cls)
                if isinstance(a.default, attrs.Factory)}  # type: ignore[arg-type]
    parameters = [p.replace(default=defaults[p.name]) if p.name in defaults else p
                  for p in list(signature.parameters.values())[1:]]
    cls.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=inspect.Signature.empty)
    return cls
