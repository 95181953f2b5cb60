"""Web apps, as Moose declares them: ``WebApp("name", fastapi_app, WebAppConfig(mount_path="/myapi"))``. The
application serves them; muskox records each in the infra map (``web_apps``) and checks the mount path as Moose
does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, prefix
from muskox.declare.registry import active_registry, display_base
from muskox.model.recorded import RecordedResource, RecordedStatus

#: Mount paths the Moose runtime keeps for itself.
RESERVED_MOUNT_PATHS = ("/admin", "/api", "/consumption", "/health", "/ingest", "/liveness", "/moose", "/ready",
                        "/workflows")


@attrs.define
class WebAppMetadata:
    """Documentation of a web app."""

    description: str | None = None


@attrs.define
class WebAppConfig:
    """Where the web app is mounted (not ``/``, no trailing slash, not under a reserved path)."""

    mount_path: str
    metadata: WebAppMetadata | None = None
    inject_moose_utils: bool = True


class WebApp:
    """An ASGI application (FastAPI, …) the Moose runtime mounts; recorded, never served, by muskox."""

    kind: str = "WebApp"

    def __init__(self, name: str, app: Any, config: WebAppConfig) -> None:
        self.location = caller_location()
        self.name = name
        self.app = app
        self.config = config
        problem = _mount_problem(config)
        if problem is not None:
            raise DeclarationError(f"{prefix(self.location, display_base())}WebApp {name!r}: {problem[0]}", problem[1])
        registry = active_registry()
        if registry is not None:
            for other in registry.recorded.get("WebApp", []):
                if other.config.mount_path == config.mount_path:
                    raise DeclarationError(f"{prefix(self.location, display_base())}WebApp {name!r}: mount path "
                                           f"{config.mount_path!r} is used by WebApp {other.name!r}",
                                           "give each web app its own mount path")
            registry.add_recorded("WebApp", name, self)

    def to_recorded(self, *, project_dir: Path | None = None, **_: Any) -> RecordedResource:
        """The web app as Moose's infra map writes it under ``web_apps``."""
        value: dict[str, Any] = {"name": self.name, "mount_path": self.config.mount_path or "/",
                                 "pulls_data_from": [], "pushes_data_to": []}
        if self.config.metadata is not None:
            value["metadata"] = {k: v for k, v in {"description": self.config.metadata.description}.items()
                                 if v is not None}
        return RecordedResource(section="web_apps", key=self.name, kind="web app",
                                name=self.name,
                                status=RecordedStatus.SERVED_ELSEWHERE, value=value)

    def __repr__(self) -> str:
        return f"WebApp(name={self.name!r}, mount_path={self.config.mount_path!r})"


def _mount_problem(config: WebAppConfig) -> tuple[str, str] | None:
    """What is wrong with the mount path (and the fix), if anything."""
    path = config.mount_path
    if not path:
        return "a mount path is required", 'give WebAppConfig(mount_path="/myapi")'
    if path == "/":
        return "the mount path cannot be / (it would cover the runtime's own paths)", 'mount it under "/myapi"'
    if path.endswith("/"):
        return f"the mount path {path!r} ends with /", f"write {path.rstrip('/')!r}"
    for reserved in RESERVED_MOUNT_PATHS:
        if path == reserved or path.startswith(reserved + "/"):
            return f"the mount path {path!r} is under the reserved {reserved}", \
                f"use a path outside {', '.join(RESERVED_MOUNT_PATHS)}"
    return None
