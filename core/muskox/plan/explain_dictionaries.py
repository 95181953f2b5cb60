"""What the dictionary operations do to the data, for :mod:`muskox.plan.explain`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from muskox.model.dictionary import Dictionary
from muskox.model.operations import CreateDictionary, DropDictionary, Operation, ReplaceDictionary

__all__ = ["DICTIONARY_RISKS", "explain_dictionary"]

ARROW = "→"

#: The risk codes of dictionary operations (a replace has none: no source table loses a row).
DICTIONARY_RISKS = {"drop_dictionary_breaks_lookups": "risky"}


def _lifetime(value: Any) -> str:
    if not isinstance(value, Mapping) or value.get("type") == "STATIC":
        return "never reloads"
    if value.get("type") == "SINGLE":
        return f"{value.get('seconds')}s"
    return f"{value.get('min')}-{value.get('max')}s"


def _details(dictionary: Dictionary) -> dict[str, str]:
    encoding = dictionary.encoding
    layout = encoding.get("layout")
    columns = encoding.get("columns") or []
    return {
        "source": dictionary.source_kind() + "".join(f" {t}" for t in dictionary.source_tables()),
        "key": ", ".join(map(str, encoding.get("primaryKey") or [])),
        "columns": ", ".join(f"{c.get('name')}: {c.get('typeString')}" for c in columns if isinstance(c, Mapping)),
        "layout": str(layout.get("type")) if isinstance(layout, Mapping) else "?",
        "lifetime": _lifetime(encoding.get("lifetime")),
    }


def explain_dictionary(operation: Operation) -> tuple[list[str], str, list[str]] | None:
    """``(details, impact, risks)`` of a dictionary operation; None for any other operation."""
    if isinstance(operation, CreateDictionary):
        return ([f"{k}: {v}" for k, v in _details(operation.dictionary).items()],
                "a new dictionary; it loads its rows from the source when first used", [])
    if isinstance(operation, ReplaceDictionary):
        before, after = _details(operation.before), _details(operation.after)
        changed = [f"{k}: {before[k]} {ARROW} {after[k]}" for k in after if before.get(k) != after[k]]
        return (changed or ["definition changed (source query, settings, comment or column attributes)"],
                "replaced in one statement and reloaded from its source; the source tables keep every row", [])
    if isinstance(operation, DropDictionary):
        return ([], "the dictionary holds no data of its own (its source keeps every row); lookups through it "
                    "(dictGet) fail", ["drop_dictionary_breaks_lookups"])
    return None
