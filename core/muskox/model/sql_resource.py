"""SQL resources (Moose's ``SqlResource``): statements that set something up and statements that tear it down.

muskox applies them as Moose does: the setup statements run when a resource appears, the teardown statements when
it disappears, and a change runs the old teardown, then the new setup. The database cannot be asked whether a SQL
resource exists (its statements could make anything), so a resource is known through the stored state only.

A :class:`SqlResource` keeps Moose's encoding of the declaration (the ``sql_resources`` entry of
``local_infra_map.json``) as canonical JSON text; two resources are equal when their name and statements are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["SqlResource"]


def _statements(value: Any, name: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"SQL resource {name}: '{field}' must be a list of statements (strings)")
    return tuple(value)


@attrs.frozen(kw_only=True)
class SqlResource:
    """One SQL resource: its statements, and Moose's whole encoding of it (``definition``, not compared)."""

    name: str
    setup: tuple[str, ...] = ()
    teardown: tuple[str, ...] = ()
    definition: str = attrs.field(default="{}", eq=False, repr=False)
    """Moose's encoding of the entry (dependencies, source file, metadata), as canonical JSON (sorted keys)."""

    @classmethod
    def from_encoding(cls, value: Mapping[str, Any]) -> SqlResource:
        """From a ``sql_resources`` entry (``name``, ``setup``, ``teardown``, and whatever else Moose writes)."""
        entry = dict(value)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("a SQL resource needs a non-empty string 'name'")
        entry["setup"] = list(_statements(entry.get("setup", []), name, "setup"))
        entry["teardown"] = list(_statements(entry.get("teardown", []), name, "teardown"))
        text = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return cls(name=name, setup=tuple(entry["setup"]), teardown=tuple(entry["teardown"]), definition=text)

    def to_encoding(self) -> dict[str, Any]:
        """Moose's encoding (a fresh copy), with this resource's name and statements."""
        value: dict[str, Any] = json.loads(self.definition)
        value.update(name=self.name, setup=list(self.setup), teardown=list(self.teardown))
        return value

    def dependencies(self) -> tuple[str, ...]:
        """The ids of the tables, views and resources it reads from (``pulls_data_from``), as Moose names them."""
        pulls = json.loads(self.definition).get("pulls_data_from")
        if not isinstance(pulls, list):
            return ()
        return tuple(str(item["id"]) for item in pulls if isinstance(item, Mapping) and "id" in item)
