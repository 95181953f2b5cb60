"""The databases introspection reads: the OLAP backend's own, and every one a known map puts an object in.

A table declared in a database outside ``[clickhouse_config] additional_databases`` is still created by
``migrate`` (the backend creates the database when it is missing); if introspection then read only the configured
databases, the table would never be seen, the next plan would create it again and ``plan --exit-code`` would
never reach 0. So :meth:`muskox.plugin.backends.Backends.introspect` asks the OLAP backend for the databases the
code, the stored state and a plan's snapshot name as well. The backend reads them with the same queries (a longer
``IN`` list), so the number of queries stays constant; objects in those databases that no map names are left alone
(reconciliation keeps only what muskox manages).

An OLAP backend opts in by exposing ``introspected_databases`` (the databases its ``introspect()`` reads by
default) and accepting a list of databases in ``introspect(databases)``; a backend without the attribute is called
as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from muskox.model.infra_map import InfraMap


def declared_databases(*maps: InfraMap | None) -> list[str]:
    """Every database the tables, views, materialized views and dictionaries of ``maps`` live in, sorted."""
    names: set[str] = set()
    for infra in maps:
        if infra is None:
            continue
        default = infra.default_database
        for group in (infra.tables, infra.views, infra.materialized_views, infra.dictionaries):
            names.update(obj.database or default for obj in group.values())
    return sorted(name for name in names if name)


def databases_to_read(olap: Any, *maps: InfraMap | None) -> list[str] | None:
    """The databases ``olap.introspect`` must read to see every object of ``maps``: its defaults followed by the
    ones they add; None when its defaults cover them all (or the backend does not say what its defaults are)."""
    defaults: Sequence[str] | None = getattr(olap, "introspected_databases", None)
    if defaults is None:
        return None
    extra = [name for name in declared_databases(*maps) if name not in defaults]
    return [*defaults, *extra] if extra else None
