"""Raw SQL resources, as Moose declares them: ``SqlResource("name", setup=[...], teardown=[...])``.

Each becomes a :class:`muskox.model.sql_resource.SqlResource` (Moose's ``sql_resources`` encoding): its setup
statements run when it appears, its teardown statements when it disappears, both when it changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from muskox.declare.location import caller_location
from muskox.declare.registry import active_registry
from muskox.model.sql_resource import SqlResource as SqlResourceModel


def signature(resource: Any) -> dict[str, str]:
    """How Moose names a resource a SQL resource depends on: ``{"id": …, "kind": "Table" | "View" | …}``."""
    kind = getattr(resource, "kind", None)
    if kind == "OlapTable":
        version = resource.config.version
        return {"id": f"{resource.name}_{version}" if version else resource.name, "kind": "Table"}
    if kind == "View":
        return {"id": f"{resource.database}::{resource.name}" if resource.database else resource.name, "kind": "View"}
    if kind == "MaterializedView":
        return {"id": resource.name, "kind": "MaterializedView"}
    return {"id": str(getattr(resource, "name", resource)), "kind": "SqlResource"}


class SqlResource:
    """SQL statements that create (``setup``) and remove (``teardown``) something muskox has no declaration for."""

    kind: str = "SqlResource"

    def __init__(self, name: str, setup: list[str], teardown: list[str], pulls_data_from: list[Any] | None = None,
                 pushes_data_to: list[Any] | None = None, metadata: dict[str, Any] | None = None) -> None:
        self.location = caller_location()
        self.name = name
        self.setup = list(setup)
        self.teardown = list(teardown)
        self.pulls_data_from = list(pulls_data_from or [])
        self.pushes_data_to = list(pushes_data_to or [])
        self.metadata = metadata
        self.source_file = None if self.location is None else str(self.location.file)
        registry = active_registry()
        if registry is not None:
            registry.add_recorded("SqlResource", name, self)

    def to_sql_resource(self, *, project_dir: Path | None = None, **_: Any) -> SqlResourceModel:
        """The resource as the model keeps it (Moose's ``sql_resources`` encoding)."""
        source = None if self.location is None else self.location.relative_file(project_dir)
        value = {"name": self.name, "setup": self.setup, "teardown": self.teardown,
                 "pulls_data_from": [signature(r) for r in self.pulls_data_from],
                 "pushes_data_to": [signature(r) for r in self.pushes_data_to],
                 "source_file": source, "metadata": self.metadata}
        return SqlResourceModel.from_encoding(value)

    def __repr__(self) -> str:
        return f"SqlResource({self.name!r})"

