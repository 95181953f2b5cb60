"""Consumption APIs, as Moose declares them: ``Api[Params, Result]("name", handler)`` — an HTTP GET endpoint the
application serves. muskox records each in the infra map (``api_endpoints``, Moose's encoding) and never serves it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from muskox.declare.config_checks import config_class
from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, prefix, runtime_only
from muskox.declare.moose_encoding import api_key, consumption_path, json_schema, metadata_json
from muskox.declare.registry import active_registry, display_base
from muskox.declare.schema import columns_of
from muskox.declare.typed import ModelTyped
from muskox.model.recorded import RecordedResource, RecordedStatus

T = TypeVar("T")
U = TypeVar("U")


@config_class
@attrs.define(kw_only=True)
class ApiConfig:
    """A consumption API's options: ``version``, a custom ``path`` and ``metadata``."""

    version: str | None = None
    path: str | None = None
    metadata: dict[str, Any] | None = None


EgressConfig = ApiConfig
"""Deprecated name of :class:`ApiConfig`."""

_BASE_URL: list[str] = []


def set_moose_base_url(url: str) -> None:
    """Where ``Api.call`` sends requests (the running application's base URL)."""
    _BASE_URL[:] = [url]


def get_moose_base_url() -> str | None:
    """The base URL set with :func:`set_moose_base_url`, else ``MOOSE_BASE_URL``."""
    return _BASE_URL[0] if _BASE_URL else os.environ.get("MOOSE_BASE_URL")


class Api(ModelTyped[U], Generic[U]):
    """A consumption API: ``Api[Params, Result]("stats", handler, ApiConfig(version="1"))`` answers
    ``GET /api/stats/1`` with ``handler(client, params)``; the query parameters are the fields of ``Params``."""

    kind: str = "Api"

    def __init__(self, name: str, query_function: Callable[..., Any], config: ApiConfig | None = None,
                 version: str | None = None, *, t: tuple[type[Any], type[Any]] | None = None) -> None:
        self.location = caller_location()
        here = prefix(self.location, display_base())
        if not isinstance(t, tuple) or len(t) != 2:
            raise DeclarationError(f"{here}Api {name!r}: no parameter and result types",
                                   f'write Api[Params, Result]("{name}", handler)')
        if config is not None and version is not None:
            config = ApiConfig(version=version, metadata=config.metadata)
        elif config is None:
            config = ApiConfig(version=version)
        self.name = name
        self.query_function = query_function
        self.config = config
        self.model_type: type[Any] = t[0]
        self._u = t[1]
        self.metadata = config.metadata or {}
        registry = active_registry()
        if registry is not None:
            registry.add_recorded("Api", f"{name}:{config.version}" if config.version else name, self)

    def return_type(self) -> type[Any]:
        """The result type."""
        return self._u

    def get_response_schema(self) -> dict[str, Any]:
        """The JSON Schema of the result type (when pydantic can describe it)."""
        return json_schema(self._u)

    def call(self, params: Any, base_url: str | None = None) -> Any:
        """Calls the running API; not available while muskox collects the declarations."""
        raise runtime_only("Api.call()")

    def to_recorded(self, *, project_dir: Path | None = None, **_: Any) -> RecordedResource:
        """The API as Moose's infra map writes it under ``api_endpoints``."""
        from muskox.declare.registry import declaring_codec

        unstructure_column = declaring_codec().unstructure_column
        version = self.config.version
        path = consumption_path(self.name, self.config.path, version)
        params = [unstructure_column(c) for c in columns_of(self.model_type)]
        value: dict[str, Any] = {
            "name": self.name,
            "api_type": {"EGRESS": {
                "query_params": [{"name": p["name"], "data_type": p["data_type"], "required": p["required"]}
                                 for p in params],
                "output_schema": self.get_response_schema(),
            }},
            "path": path,
            "method": "GET",
            "version": version,
            "source_primitive": {"name": self.name, "primitive_type": "ConsumptionAPI"},
            "metadata": metadata_json(self.config.metadata),
            "pulls_data_from": [],
            "pushes_data_to": [],
        }
        return RecordedResource(section="api_endpoints", key=api_key("EGRESS", self.name, version),
                                kind="consumption API", name=path, status=RecordedStatus.SERVED_ELSEWHERE,
                                value=value)

    def __repr__(self) -> str:
        return f"Api({self.name!r})"


ConsumptionApi = Api
"""Deprecated name of :class:`Api`."""
