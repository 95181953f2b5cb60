"""The inventory behind ``muskox ls``: every object muskox manages, as it is now, one list per type.

Built from :class:`muskox.plan.workspace.PlanningInputs` (the code reconciled with the database and the state
store, read without writing anything): the objects of ``current`` as the database has them, plus what the code
declares but the database lacks. Each entry says how it stands against the code (``status``):

* ``in sync``: exists and matches the code;
* ``differs from code``: exists, and the next migration changes it;
* ``not created``: declared, not in the database yet;
* ``not in code``: muskox manages it (the state store remembers it) but the code no longer declares it;
* ``recorded``: declared and recorded, never applied by muskox (APIs, workflows, web apps).

Dictionaries are listed like tables (:mod:`muskox.plan.inventory_dictionaries`: layout, source with its
credentials masked, lifetime).

Entries are plain JSON values (``ls --json`` prints them under :data:`SCHEMA_VERSION`); names are
database-qualified (``db.name``) outside the default database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from muskox.errors import MuskoxError
from muskox.model.infra_map import InfraMap
from muskox.model.recorded import RecordedResource, engine_tag
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Column, LifeCycle, Table
from muskox.model.types import Nullable
from muskox.plan.changes import Added, Change, Removed
from muskox.plan.differ import DiffOptions, NormalizedTables, diff
from muskox.plan.inventory_dictionaries import dictionary_entry
from muskox.plugin.dialect import Dialect

__all__ = ["SCHEMA_VERSION", "TYPES", "build_inventory", "display_name"]

SCHEMA_VERSION = 1
"""The version of the ``ls --json`` document's shape; raised whenever a key changes meaning or goes away."""

TYPES = ("tables", "views", "materialized_views", "streams", "dictionaries", "apis", "workflows")
"""The object types, in the order they are listed (``ls --type``)."""

IN_SYNC = "in sync"
DIFFERS = "differs from code"
NOT_CREATED = "not created"
NOT_IN_CODE = "not in code"
RECORDED = "recorded"

_RECORDED_TYPES = {"olap_dictionaries": "dictionaries", "api_endpoints": "apis", "workflows": "workflows",
                   "tables": "tables"}
_CHANGE_TYPES = {"table": "tables", "view": "views", "materialized_view": "materialized_views", "topic": "streams",
                 "dictionary": "dictionaries"}


def display_name(database: str | None, name: str, default_database: str) -> str:
    """``name`` in the default database, ``database.name`` elsewhere."""
    return name if database in (None, default_database) else f"{database}.{name}"


def _statuses(current: InfraMap, target: InfraMap, dialect: Dialect, ignore_operations: Collection[str],
              normalized: NormalizedTables | None) -> dict[tuple[str, str], str]:
    """(type, key) → status, for every object that is not in sync."""
    try:
        changes: list[Change] = diff(current, target, dialect,
                                     DiffOptions(frozenset(ignore_operations), normalized=normalized))
    except MuskoxError:  # e.g. a table moved between databases: the plan reports it; here nothing is judged
        return {}
    statuses: dict[tuple[str, str], str] = {}
    for change in changes:
        kind = _CHANGE_TYPES.get(change.kind)
        if kind is None:  # SQL resources are not listed
            continue
        match change:
            case Added():
                statuses[(kind, change.key)] = NOT_CREATED
            case Removed():
                statuses[(kind, change.key)] = NOT_IN_CODE
            case _:
                statuses[(kind, change.key)] = DIFFERS
    return statuses


def _column(column: Column, dialect: Dialect) -> dict[str, Any]:
    data_type = Nullable(column.data_type) if column.nullable else column.data_type
    entry: dict[str, Any] = {"name": column.name, "type": dialect.render_type(data_type)}
    for key in ("default", "materialized", "alias", "codec", "ttl", "comment"):
        value = getattr(column, key)
        if value is not None:
            entry[key] = value
    if column.primary_key:
        entry["primary_key"] = True
    return entry


class _ColumnEntries:
    """:func:`_column` once per column object (the tables of one schema share theirs); each entry a copy."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._made: dict[int, tuple[Column, dict[str, Any]]] = {}  # the column is kept: its id stays unique

    def __call__(self, column: Column) -> dict[str, Any]:
        made = self._made.get(id(column))
        if made is None:
            made = self._made[id(column)] = (column, _column(column, self.dialect))
        return dict(made[1])


def _table(table: Table, default: str, dialect: Dialect, status: str,
           column_entry: _ColumnEntries | None = None) -> dict[str, Any]:
    entry = column_entry or _ColumnEntries(dialect)
    order_by = table.order_by if isinstance(table.order_by, str) else list(table.order_by)
    return {
        "name": display_name(table.database, table.name, default), "database": table.database or default,
        "table": table.name, "version": table.version, "engine": dialect.render_engine(table.engine),
        "order_by": order_by, "primary_key": table.primary_key_expression, "partition_by": table.partition_by,
        "sample_by": table.sample_by, "ttl": table.ttl, "settings": dict(table.settings),
        "indexes": [index.name for index in table.indexes],
        "projections": [projection.name for projection in table.projections],
        "columns": [entry(column) for column in table.columns],
        "life_cycle": table.life_cycle.value, "status": status,
    }


def _view(view: View, default: str, status: str) -> dict[str, Any]:
    return {"name": display_name(view.database, view.name, default), "database": view.database or default,
            "view": view.name, "select": view.select_sql, "life_cycle": LifeCycle.FULLY_MANAGED.value,
            "status": status}


def _materialized_view(view: MaterializedView, default: str, status: str) -> dict[str, Any]:
    return {"name": display_name(view.database, view.name, default), "database": view.database or default,
            "view": view.name, "target": display_name(view.target_database or view.database, view.target_table,
                                                      default),
            "select": view.select_sql, "life_cycle": view.life_cycle.value, "status": status}


def _topic(topic: Topic, status: str) -> dict[str, Any]:
    return {"name": topic.name, "partitions": topic.partitions, "retention_ms": topic.retention_ms,
            "configs": topic.managed_configs(), "version": topic.version, "life_cycle": topic.life_cycle.value,
            "status": status}


def _recorded(resource: RecordedResource) -> dict[str, Any]:
    return {"name": resource.name, "kind": resource.kind, "status": RECORDED, "note": resource.status.value}


def _recorded_table(resource: RecordedResource, default: str) -> dict[str, Any]:
    """A table of an engine muskox does not apply yet, from Moose's encoding (its columns' types as written
    there)."""
    value = resource.value
    database = value.get("database") or default
    columns = value.get("columns") or []
    return {
        "name": display_name(database, resource.name, default), "database": database, "table": resource.name,
        "version": value.get("version"), "engine": engine_tag(value) or "?", "order_by": value.get("order_by") or [],
        "primary_key": None, "partition_by": value.get("partition_by"), "sample_by": None, "ttl": None,
        "settings": {}, "indexes": [], "projections": [],
        "columns": [{"name": str(c.get("name")), "type": c.get("data_type") if isinstance(c.get("data_type"), str)
                     else "?"} for c in columns if isinstance(c, Mapping)],
        "life_cycle": str(value.get("life_cycle") or LifeCycle.FULLY_MANAGED.value),
        "status": RECORDED, "note": resource.status.value,
    }


def _pick(current: Mapping[str, Any], target: Mapping[str, Any], kind: str,
          statuses: Mapping[tuple[str, str], str]) -> Iterable[tuple[Any, str]]:
    """Each object as it is now (the code's shape when it does not exist yet) with its status."""
    for key in sorted(current.keys() | target.keys()):
        value = current.get(key, target.get(key))
        yield value, statuses.get((kind, key), IN_SYNC)


def build_inventory(current: InfraMap, target: InfraMap, dialect: Dialect, *,
                    ignore_operations: Collection[str] = (), types: Collection[str] = TYPES,
                    name: str | None = None,
                    normalized: NormalizedTables | None = None) -> dict[str, list[dict[str, Any]]]:
    """The entries of each type in ``types`` (in :data:`TYPES` order) whose name contains ``name`` (any case).

    :param current: what muskox manages as it is now (:func:`muskox.plan.reconcile.reconcile`).
    :param target: what the code declares.
    :param normalized: tables normalized before (:class:`muskox.plan.differ.NormalizedTables`), if any.
    """
    default = target.default_database
    statuses = _statuses(current, target, dialect, ignore_operations, normalized)
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in TYPES if kind in types}
    if "tables" in found:
        column_entry = _ColumnEntries(dialect)
        found["tables"] += [_table(t, default, dialect, s, column_entry)
                            for t, s in _pick(current.tables, target.tables, "tables", statuses)]
    if "views" in found:
        found["views"] += [_view(v, default, s) for v, s in _pick(current.views, target.views, "views", statuses)]
    if "materialized_views" in found:
        found["materialized_views"] += [
            _materialized_view(m, default, s)
            for m, s in _pick(current.materialized_views, target.materialized_views, "materialized_views", statuses)]
    if "streams" in found:
        found["streams"] += [_topic(t, s) for t, s in _pick(current.topics, target.topics, "streams", statuses)]
    if "dictionaries" in found:
        for key in sorted(current.dictionaries.keys() | target.dictionaries.keys()):
            shown = current.dictionaries.get(key) or target.dictionaries[key]
            now = current.dictionaries.get(key)
            found["dictionaries"].append(dictionary_entry(
                None if now is None else dialect.describe_dictionary(now), target.dictionaries.get(key),
                display=display_name(shown.database, shown.name, default), default=default,
                status=statuses.get(("dictionaries", key), IN_SYNC)))
    for resource in target.recorded.values():
        kind = _RECORDED_TYPES.get(resource.section)
        if kind in found:
            found[kind].append(_recorded_table(resource, default) if kind == "tables" else _recorded(resource))
    for entries in found.values():
        entries.sort(key=lambda entry: str(entry["name"]))
    if name:
        needle = name.casefold()
        found = {kind: [e for e in entries if needle in e["name"].casefold()] for kind, entries in found.items()}
    return found
