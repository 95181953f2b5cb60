"""Dictionaries (Moose's ``OlapDictionary``) (their plan operations, ``CreateDictionary``, ``ReplaceDictionary`` and
``DropDictionary``, are in :mod:`muskox.model.operations`).

A :class:`Dictionary` keeps Moose's encoding of the declaration (the ``olap_dictionaries`` entry of
``local_infra_map.json``: source, primary key, columns, layout, lifetime, settings, comment; source passwords as
``[HIDDEN]``) as canonical JSON text, so it is hashable and reads back unchanged. ``server_sql`` is the statement
the database reports for it (introspection; kept in ``remote_state.json`` as ``serverSql``): the backend's dialect
compares the database's statement with what the code's encoding renders to, so a dictionary changed on the server
is drift. The backend renders the SQL; nothing here knows a dialect.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from muskox.model.table import LifeCycle

__all__ = ["SERVER_SQL", "Dictionary"]

SERVER_SQL = "serverSql"
"""The key of :attr:`Dictionary.server_sql` in a file's entry (muskox's addition to Moose's encoding)."""


def _canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@attrs.frozen(kw_only=True)
class Dictionary:
    """One dictionary: Moose's encoding (``definition``, JSON text) and what the database reports for it."""

    name: str
    database: str | None = None
    cluster: str | None = None
    life_cycle: LifeCycle = LifeCycle.FULLY_MANAGED
    definition: str = "{}"
    """Moose's encoding of the whole entry, as canonical JSON (sorted keys)."""
    server_sql: str | None = None
    """The database's statement for it (introspected); None for a dictionary declared in code or read from a plan."""
    secrets: Mapping[str, str] = attrs.field(factory=dict, eq=False, hash=False, repr=False)
    """The source's credentials as the code gives them (``password``, ``secret_access_key``; a
    ``moose_runtime_env`` marker stays a marker), in memory only: the encoding and every file hold ``[HIDDEN]``."""

    @classmethod
    def from_encoding(cls, value: Mapping[str, Any]) -> Dictionary:
        """From an ``olap_dictionaries`` entry (``serverSql`` taken out into :attr:`server_sql`)."""
        entry = dict(value)
        server_sql = entry.pop(SERVER_SQL, None)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("a dictionary needs a non-empty string 'name'")
        database = entry.get("database")
        cluster = entry.get("clusterName")
        if database is not None and not isinstance(database, str):
            raise ValueError(f"dictionary {name}: 'database' must be a string or null")
        if cluster is not None and not isinstance(cluster, str):
            raise ValueError(f"dictionary {name}: 'clusterName' must be a string or null")
        if server_sql is not None and not isinstance(server_sql, str):
            raise ValueError(f"dictionary {name}: '{SERVER_SQL}' must be a string")
        life_cycle = LifeCycle(entry.get("lifeCycle") or LifeCycle.FULLY_MANAGED.value)
        return cls(name=name, database=database, cluster=cluster, life_cycle=life_cycle,
                   definition=_canonical(entry), server_sql=server_sql)

    @property
    def encoding(self) -> dict[str, Any]:
        """Moose's encoding (a fresh copy), without :attr:`server_sql`."""
        value: dict[str, Any] = json.loads(self.definition)
        return value

    def to_encoding(self) -> dict[str, Any]:
        """What a file holds: Moose's encoding, plus ``serverSql`` when the database reported the dictionary."""
        value = self.encoding
        if self.server_sql is not None:
            value[SERVER_SQL] = self.server_sql
        return value

    def source_tables(self) -> tuple[str, ...]:
        """The local tables the dictionary reads (a ``TABLE`` source), as ``[database.]name``."""
        source = self.encoding.get("source")
        if isinstance(source, Mapping) and source.get("type") == "TABLE" and isinstance(source.get("table"), str):
            database = source.get("database")
            return (f"{database}.{source['table']}" if isinstance(database, str) else str(source["table"]),)
        return ()

    def source_kind(self) -> str:
        """``table``, ``query`` or the external source's type in lower case (``mysql``, ``http``, …)."""
        source = self.encoding.get("source")
        if not isinstance(source, Mapping):
            return "unknown"
        if source.get("type") == "EXTERNAL":
            external = source.get("externalSource")
            return str(external.get("source_type", "external")).lower() if isinstance(external, Mapping) \
                else "external"
        return str(source.get("type", "unknown")).lower()
