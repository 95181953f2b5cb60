"""Objects of the kinds plugins add (``InfraMap.extensions``): kind → name → specification.

A specification is a JSON object (strings, numbers, booleans, null, lists and objects) the plugin defines; the
core never looks inside. It stores, encodes, hashes and compares specifications as they are, and leaves
planning, introspection and applying to the plugin's resource backend
(:class:`muskox.plugin.interfaces.ResourceBackend`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Spec = dict[str, Any]
"""One object's specification: a JSON object of the plugin's design."""

Extensions = dict[str, dict[str, Spec]]
"""Every object of the plugins' kinds: kind (its resource backend's name) → object name → specification."""

ENCODING_KEY = "muskox_extensions"
"""The section of the state and plan files holding them (written only when there are any)."""


def read_extensions(value: Any, where: str = ENCODING_KEY) -> Extensions:
    """``value`` (decoded JSON) as extensions; raises ``ValueError`` naming ``where`` for another shape."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object of kinds")
    found: Extensions = {}
    for kind, objects in value.items():
        if not isinstance(kind, str) or not isinstance(objects, Mapping):
            raise ValueError(f"{where}.{kind} must be an object of named specifications")
        found[kind] = {}
        for name, spec in objects.items():
            if not isinstance(name, str) or not isinstance(spec, Mapping):
                raise ValueError(f"{where}.{kind}.{name} must be an object")
            found[kind][name] = json.loads(json.dumps(spec))  # a plain, detached copy
    return found


def write_extensions(extensions: Extensions) -> dict[str, Any]:
    """The JSON value of ``extensions``: kinds and names in sorted order, empty kinds left out."""
    return {kind: {name: objects[name] for name in sorted(objects)}
            for kind, objects in sorted(extensions.items()) if objects}


def comparable(extensions: Extensions) -> str:
    """One text that is equal for equal extensions (key order and empty kinds do not matter)."""
    return json.dumps(write_extensions(extensions), sort_keys=True, separators=(",", ":"))


def extension_drift(expected: Extensions, actual: Extensions) -> list[str]:
    """One line per object of a plugin's kind that differs between ``expected`` and ``actual`` (the drift
    report's form: ``+`` only in ``actual``, ``-`` only in ``expected``, ``~`` different)."""
    lines: list[str] = []
    for kind in sorted(set(expected) | set(actual)):
        before, after = expected.get(kind, {}), actual.get(kind, {})
        for name in sorted(set(before) | set(after)):
            if name not in before:
                lines.append(f"+ {kind} {name} (added to the database)")
            elif name not in after:
                lines.append(f"- {kind} {name} (removed from the database)")
            elif comparable({kind: {name: before[name]}}) != comparable({kind: {name: after[name]}}):
                lines.append(f"~ {kind} {name}: specification changed")
    return lines
