"""The whole world muskox manages, as code declares it or as the servers report it."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.extensions import Extensions
from muskox.model.recorded import RecordedResource, by_map_key
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.sql_resource import SqlResource
from muskox.model.table import Table, version_suffix


def _quoted(part: str) -> str:
    return '"' + part.replace('"', '""') + '"'


def table_id(table: Table, default_database: str) -> str:
    """The table's key in an :class:`InfraMap`: ``"<database>"."<name>"[_<version>]``, each part quoted (inner
    quotes doubled), so two different tables never share a key (Moose's ``<database>_<name>`` does: database
    ``a_b`` table ``c`` and database ``a`` table ``b_c``). Files use :func:`moose_table_key` instead."""
    return f"{_quoted(table.database or default_database)}.{_quoted(table.name)}{version_suffix(table.version)}"


def moose_table_key(table: Table, default_database: str) -> str:
    """Moose's key for the table in its files: ``<database>_<name>[_<version>]`` (spec 6.1); not unique."""
    return f"{table.database or default_database}_{table.name}{version_suffix(table.version)}"


def view_id(database: str | None, name: str, default_database: str) -> str:
    """The key of a view or materialized view in an :class:`InfraMap`: ``"<database>"."<name>"`` (Moose keys
    them by bare name, which two databases can share)."""
    return f"{_quoted(database or default_database)}.{_quoted(name)}"


def file_keys(moose_keys: dict[str, str]) -> dict[str, str]:
    """Keys to write for resources whose map keys are ``moose_keys``' keys: Moose's key (the value) where no
    other resource of the map has the same one, else the map key itself, which is unique (a map with such a
    clash cannot be written in Moose's form; muskox reads keys back from the resources, not from the file)."""
    counts: dict[str, int] = {}
    for moose_key in moose_keys.values():
        counts[moose_key] = counts.get(moose_key, 0) + 1
    return {key: moose_key if counts[moose_key] == 1 else key for key, moose_key in moose_keys.items()}


@attrs.frozen(kw_only=True)
class InfraMap:
    """Tables, views, materialized views and topics, each keyed by its id; and the declarations muskox only
    records (``recorded``, keyed by ``section/key``: APIs, workflows, web apps, and the ClickHouse objects it does
    not apply yet), which the differ never sees."""

    default_database: str
    tables: dict[str, Table] = attrs.field(factory=dict)
    views: dict[str, View] = attrs.field(factory=dict)
    materialized_views: dict[str, MaterializedView] = attrs.field(factory=dict)
    topics: dict[str, Topic] = attrs.field(factory=dict)
    recorded: dict[str, RecordedResource] = attrs.field(factory=dict)
    dictionaries: dict[str, Dictionary] = attrs.field(factory=dict)
    """Dictionaries, keyed like views (``"<database>"."<name>"``)."""
    sql_resources: dict[str, SqlResource] = attrs.field(factory=dict)
    """SQL resources, keyed by name (as Moose keys them)."""
    extensions: Extensions = attrs.field(factory=dict)
    """Objects of the kinds plugins add, kind → name → specification (:mod:`muskox.model.extensions`)."""

    @classmethod
    def of(cls, default_database: str, tables: Iterable[Table] = (), views: Iterable[View] = (),
           materialized_views: Iterable[MaterializedView] = (), topics: Iterable[Topic] = (),
           recorded: Iterable[RecordedResource] = (), dictionaries: Iterable[Dictionary] = (),
           sql_resources: Iterable[SqlResource] = ()) -> InfraMap:
        """Build a map from lists, computing every id."""
        return cls(
            default_database=default_database,
            tables={table_id(t, default_database): t for t in tables},
            views={view_id(v.database, v.name, default_database): v for v in views},
            materialized_views={view_id(m.database, m.name, default_database): m for m in materialized_views},
            topics={t.name: t for t in topics},
            recorded=by_map_key(recorded),
            dictionaries={view_id(d.database, d.name, default_database): d for d in dictionaries},
            sql_resources={r.name: r for r in sql_resources},
        )
