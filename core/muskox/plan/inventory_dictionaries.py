"""The ``dictionaries`` entries of ``muskox ls``: name, layout, source (credentials masked), lifetime, key,
columns, lifecycle and status, read from Moose's encoding of each dictionary.

A dictionary known only from the database (not declared) has the encoding its backend could read from the
server's statement; what it could not read is ``None`` (``?`` in the text listing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from muskox.model.dictionary import Dictionary
from muskox.model.engines import HIDDEN

__all__ = ["dictionary_entry", "masked_source"]

_SECRET_WORDS = ("password", "secret", "access_key", "token")


def _is_secret(key: str) -> bool:
    return any(word in key.lower() for word in _SECRET_WORDS)


def masked_source(source: Mapping[str, Any]) -> dict[str, Any]:
    """The source's encoding with every credential that is set written as ``[HIDDEN]`` (nested ones too)."""
    masked: dict[str, Any] = {}
    for key, value in source.items():
        if isinstance(value, Mapping):
            masked[key] = masked_source(value)
        elif _is_secret(key) and value is not None:
            masked[key] = HIDDEN
        else:
            masked[key] = value
    return masked


def _source_text(source: Mapping[str, Any], default: str) -> str | None:
    """``table db.products``, ``query SELECT …`` or ``mysql(host=…, password=[HIDDEN], …)``."""
    kind = source.get("type")
    if kind == "TABLE":
        return f"table {source.get('database') or default}.{source.get('table')}"
    if kind == "QUERY":
        return "query " + " ".join(str(source.get("query", "")).split())
    external = source.get("externalSource")
    if kind == "EXTERNAL" and isinstance(external, Mapping):
        fields = ", ".join(f"{k}={v}" for k, v in external.items() if k != "source_type" and v is not None)
        return f"{str(external.get('source_type', 'external')).lower()}({fields})"
    return None


def _layout_text(layout: Mapping[str, Any]) -> str:
    parameters = ", ".join(f"{k}={v}" for k, v in layout.items() if k != "type" and v is not None)
    return f"{layout.get('type', '?')}({parameters})" if parameters else str(layout.get("type", "?"))


def _lifetime_text(lifetime: Mapping[str, Any]) -> str:
    """``static`` (never reloaded), ``300s`` or ``60-300s``."""
    if lifetime.get("type") == "SINGLE":
        return f"{lifetime.get('seconds')}s"
    if lifetime.get("type") == "RANGE":
        return f"{lifetime.get('min')}-{lifetime.get('max')}s"
    return "static"


def _described(current: Dictionary | None, target: Dictionary | None) -> dict[str, Any]:
    """The encoding that says most: the database's when its backend read the layout, else the code's."""
    for dictionary in (current, target):
        if dictionary is not None and "layout" in dictionary.encoding:
            return dictionary.encoding
    return {}


def dictionary_entry(current: Dictionary | None, target: Dictionary | None, *, display: str, default: str,
                     status: str) -> dict[str, Any]:
    """The ``ls`` entry of one dictionary, as it is in the database (``current``) and in the code (``target``)."""
    shown = current if current is not None else target
    assert shown is not None, "a dictionary is in the database or in the code"
    encoding = _described(current, target)
    source = encoding.get("source")
    layout = encoding.get("layout")
    lifetime = encoding.get("lifetime")
    columns = encoding.get("columns") or []
    return {
        "name": display, "database": shown.database or default, "dictionary": shown.name,
        "layout": _layout_text(layout) if isinstance(layout, Mapping) else None,
        "source": _source_text(masked_source(source), default) if isinstance(source, Mapping) else None,
        "lifetime": _lifetime_text(lifetime) if isinstance(lifetime, Mapping) else None,
        "primary_key": list(encoding.get("primaryKey") or []),
        "columns": [{"name": str(c.get("name")), "type": str(c.get("typeString"))}
                    for c in columns if isinstance(c, Mapping)],
        "life_cycle": (target or shown).life_cycle.value, "status": status,
    }
