"""The state hash of delta mode: ``parent_state_hash`` of a migration file, and the check before applying it.

``state_hash(infra, dialect)`` is the SHA-256 (hex) of the JSON — keys sorted, compact separators — of the OLAP part of
the state: ``tables``, ``views`` and ``materialized_views`` (plus Moose's ``dmv1_views``, ``olap_dictionaries``,
``select_row_policies`` and ``sql_resources``, empty unless the state has dictionaries or SQL
resources). Before hashing, the state goes through
:func:`hashable_state`:

* the dialect's :meth:`~muskox.plugin.dialect.Dialect.normalize_infra_map` — the one normalization the differ and
  drift checks use — so
  the same schema hashes the same whether it was declared in code (a file generated before the previous file
  was applied folds the code's tables) or read back from the server (which reformats expressions, adds
  default settings, expands codecs …);
* what the database cannot tell is left out: metadata, lifecycles (a muskox rule, not a schema property) and
  table versions (only the physical name counts); tables are keyed by their physical name;
* the default database is written as nothing (``database`` omitted), so a file generated against one
  database name applies to another (as Moose re-keys its snapshots to the current ``db_name``).

Topics (muskox plans them; Moose's hash covers the OLAP side only) are added under ``topics``, keyed by their
physical name, only when the state has any: a state without topics hashes as Moose's does. Because the empty
sections are written as Moose writes them, the hash of an empty state is Moose's (``2cef55d3…``): a first Moose
file generated against an empty database passes the check. Hashes of non-empty states differ from Moose's
(normalization differs).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import attrs

from muskox.model.codec import model_codec
from muskox.model.extensions import ENCODING_KEY as EXTENSIONS_KEY
from muskox.model.extensions import write_extensions
from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, View
from muskox.model.table import LifeCycle

if TYPE_CHECKING:
    from muskox.plugin.dialect import Dialect

#: Moose's other OLAP sections, part of its hashed JSON; always empty in muskox.
_MOOSE_EMPTY_SECTIONS = ("dmv1_views", "olap_dictionaries", "select_row_policies", "sql_resources")


def hashable_state(infra: InfraMap, dialect: Dialect) -> dict[str, Any]:
    """The JSON value that is hashed (see the module documentation), normalized and encoded in ``dialect``."""
    to_json = model_codec(dialect).to_json
    normalized = dialect.normalize_infra_map(infra)
    default = infra.default_database
    tables: dict[str, Any] = {}
    for table in normalized.tables.values():
        database = None if table.database in (None, default) else table.database
        plain = attrs.evolve(table, database=database, life_cycle=LifeCycle.FULLY_MANAGED, version=None,
                             metadata=None, cluster=None)
        tables[_key(database, table.name)] = to_json(plain)
    views = {_key(_local(v.database, default), v.name): to_json(_view(v, default))
             for v in normalized.views.values()}
    materialized_views = {_key(_local(m.database, default), m.name): to_json(_mv(m, default))
                          for m in normalized.materialized_views.values()}
    value: dict[str, Any] = {key: {} for key in _MOOSE_EMPTY_SECTIONS}
    value.update(tables=tables, views=views, materialized_views=materialized_views)
    if normalized.topics:  # only when there are any, so a state without topics hashes as before (and as Moose)
        value["topics"] = {topic.name: to_json(topic) for topic in normalized.topics.values()}
    if normalized.dictionaries:  # likewise: a state without dictionaries hashes as before
        value["olap_dictionaries"] = {_key(_local(d.database, default), d.name): [d.definition, d.server_sql]
                                      for d in normalized.dictionaries.values()}
    if normalized.sql_resources:  # likewise; a resource counts by its statements
        value["sql_resources"] = {r.name: {"setup": list(r.setup), "teardown": list(r.teardown)}
                                  for r in normalized.sql_resources.values()}
    if any(normalized.extensions.values()):  # likewise: plugins' kinds, as their specifications
        value[EXTENSIONS_KEY] = write_extensions(normalized.extensions)
    return value


def state_hash(infra: InfraMap, dialect: Dialect) -> str:
    """SHA-256 hex of :func:`hashable_state` as compact JSON with sorted keys."""
    text = json.dumps(hashable_state(infra, dialect), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _local(database: str | None, default: str) -> str | None:
    return None if database in (None, default) else database


def _key(database: str | None, name: str) -> str:
    return name if database is None else f"{database}.{name}"


def _view(view: View, default: str) -> View:
    return attrs.evolve(view, database=_local(view.database, default), metadata=None, source_tables=())


def _mv(view: MaterializedView, default: str) -> MaterializedView:
    return attrs.evolve(view, database=_local(view.database, default),
                        target_database=_local(view.target_database, default), life_cycle=LifeCycle.FULLY_MANAGED,
                        metadata=None, source_tables=())
