"""Moose's registry functions (``get_tables()``, ``get_table("events")``, …): what the project declared so far.

While muskox collects a project they answer from that collection (keyed as Moose keys them); anywhere else
nothing is registered and they return nothing.
"""

from __future__ import annotations

from typing import Any

from muskox.declare.registry import active_registry


def _declared(kind: str) -> list[Any]:
    registry = active_registry()
    if registry is None:
        return []
    direct: dict[str, list[Any]] = {"OlapTable": registry.tables, "Stream": registry.streams, "View": registry.views,
              "MaterializedView": registry.materialized_views}
    return list(direct[kind]) if kind in direct else list(registry.recorded.get(kind, []))


def _versioned(name: str, version: str | None, separator: str = "_") -> str:
    return f"{name}{separator}{version}" if version else name


def get_tables() -> dict[str, Any]:
    """Every table, by ``name`` or ``name_version``."""
    return {_versioned(t.name, t.config.version): t for t in _declared("OlapTable")}


def get_table(name: str) -> Any:
    """The table registered as ``name``, if any."""
    return get_tables().get(name)


def get_streams() -> dict[str, Any]:
    """Every stream, by name."""
    return {s.name: s for s in _declared("Stream")}


def get_stream(name: str) -> Any:
    """The stream called ``name``, if any."""
    return get_streams().get(name)


def get_ingest_apis() -> dict[str, Any]:
    """Every ingest API, by name."""
    return {a.name: a for a in _declared("IngestApi")}


def get_ingest_api(name: str) -> Any:
    """The ingest API called ``name``, if any."""
    return get_ingest_apis().get(name)


def get_apis() -> dict[str, Any]:
    """Every consumption API, by ``name`` or ``name:version``."""
    return {_versioned(a.name, a.config.version, ":"): a for a in _declared("Api")}


def get_api(name: str) -> Any:
    """The consumption API registered as ``name``; else the only version of ``name``; else the one at path
    ``name``."""
    apis = get_apis()
    if name in apis:
        return apis[name]
    versions = [a for a in apis.values() if a.name == name]
    if len(versions) == 1:
        return versions[0]
    return next((a for a in apis.values() if a.config.path == name), None)


def get_sql_resources() -> dict[str, Any]:
    """Every SQL resource, by name."""
    return {r.name: r for r in _declared("SqlResource")}


def get_sql_resource(name: str) -> Any:
    """The SQL resource called ``name``, if any."""
    return get_sql_resources().get(name)


def get_workflows() -> dict[str, Any]:
    """Every workflow, by name."""
    return {w.name: w for w in _declared("Workflow")}


def get_workflow(name: str) -> Any:
    """The workflow called ``name``, if any."""
    return get_workflows().get(name)


def get_web_apps() -> dict[str, Any]:
    """Every web app, by name."""
    return {w.name: w for w in _declared("WebApp")}


def get_web_app(name: str) -> Any:
    """The web app called ``name``, if any."""
    return get_web_apps().get(name)


def get_materialized_views() -> dict[str, Any]:
    """Every materialized view, by name."""
    return {m.name: m for m in _declared("MaterializedView")}


def get_materialized_view(name: str) -> Any:
    """The materialized view called ``name``, if any."""
    return get_materialized_views().get(name)


def get_views() -> dict[str, Any]:
    """Every view, by ``name`` or ``database::name``."""
    return {f"{v.database}::{v.name}" if v.database else v.name: v for v in _declared("View")}


def get_view(name: str, database: str | None = None) -> Any:
    """The view called ``name`` (in ``database``), if any."""
    return get_views().get(f"{database}::{name}" if database else name)


def get_olap_dictionaries() -> dict[str, Any]:
    """Every dictionary, by name."""
    return {d.name: d for d in _declared("OlapDictionary")}


def get_olap_dictionary(name: str) -> Any:
    """The dictionary called ``name``, if any."""
    return get_olap_dictionaries().get(name)


get_consumption_apis = get_apis
"""Deprecated name of :func:`get_apis`."""
get_consumption_api = get_api
"""Deprecated name of :func:`get_api`."""
