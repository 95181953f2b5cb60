"""Pieces of Moose's infra-map encoding shared by the declarations muskox records (APIs, workflows, web apps, …)."""

from __future__ import annotations

import typing
from typing import Any

from muskox.model.table import version_suffix


def metadata_json(metadata: Any) -> dict[str, Any] | None:
    """A declaration's ``metadata`` dict as Moose writes it (``{"description": …, "source": {"file": …}}``)."""
    if not isinstance(metadata, dict):
        return None
    source = metadata.get("source")
    file = source.get("file") if isinstance(source, dict) else None
    description = metadata.get("description")
    return {"description": None if description is None else str(description),
            "source": None if file is None else {"file": str(file)}}


def api_key(kind: str, name: str, version: str | None) -> str:
    """Moose's id of an API endpoint: ``INGRESS_events``, ``EGRESS_stats_1_0``."""
    return f"{kind}_{name}{version_suffix(version)}"


def with_version(path: str, version: str | None) -> str:
    """``path`` ending in ``/<version>`` (unless it already ends with the version), as Moose builds API paths."""
    if not version:
        return path
    if path == version or path.endswith("/" + version):
        return path
    return f"{path.rstrip('/')}/{version}"


def ingest_path(name: str, path: str | None, version: str | None) -> str:
    """Where an ingest API listens: ``ingest/<name>[/<version>]``, or the custom path under ``ingest/``."""
    if path is None:
        return "/".join(part for part in ("ingest", name, version or "") if part)
    return with_version(path if path.startswith("ingest/") else f"ingest/{path}", version)


def consumption_path(name: str, path: str | None, version: str | None) -> str:
    """Where a consumption API answers: ``<name>[/<version>]``, or the custom path (with the version)."""
    return with_version(path if path is not None else name, version)


def json_schema(model: Any) -> dict[str, Any]:
    """The JSON Schema of a pydantic model or type, as Moose records it for API documentation; ``{}`` for
    anything pydantic cannot describe (muskox itself never needs it)."""
    if model is None:
        return {}
    schema = getattr(model, "model_json_schema", None)
    try:
        if callable(schema):
            return dict(schema(ref_template="#/components/schemas/{model}"))
        import sys

        pydantic = sys.modules.get("pydantic")
        if pydantic is None:
            return {}
        return dict(pydantic.TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}"))
    except Exception:  # a model pydantic cannot turn into a schema: the schema is documentation only
        return {}


def model_name(model: Any) -> str:
    """A readable name of a schema class or type."""
    return str(getattr(model, "__name__", None) or typing.get_origin(model) or model)
