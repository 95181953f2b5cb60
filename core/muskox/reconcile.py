"""Reconciliation: the last applied state (from the state store) checked against reality (introspection).

Spec 1, step 2: what the state store remembers but the database lacks is gone; what the database has in a
different shape is taken as it is, keeping what introspection cannot see (lifecycle, cluster, metadata); what
the database has but the store never recorded is adopted only when the code declares it — so pre-existing
tables that match the code become "already there" instead of "create", and foreign tables are never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import attrs

from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Table

R = TypeVar("R", Table, View, MaterializedView)


def reconcile(stored: InfraMap | None, reality: InfraMap, target: InfraMap) -> InfraMap:
    """The current state: ``reality`` restricted to what muskox manages or the code declares."""
    stored = stored or InfraMap(default_database=target.default_database)
    return InfraMap(
        default_database=target.default_database,
        tables=_merge(stored.tables, reality.tables, target.tables, _keep_table),
        views=_merge(stored.views, reality.views, target.views, lambda real, _old: real),
        materialized_views=_merge(stored.materialized_views, reality.materialized_views, target.materialized_views,
                                  _keep_materialized_view),
        topics=dict(reality.topics) if reality.topics else {
            k: v for k, v in stored.topics.items() if k in target.topics},
    )


def _merge(stored: Mapping[str, R], reality: Mapping[str, R], target: Mapping[str, R],
           keep: object) -> dict[str, R]:
    merged: dict[str, R] = {}
    for key, real in reality.items():
        if key in stored:
            merged[key] = keep(real, stored[key])  # type: ignore[operator]
        elif key in target:
            merged[key] = keep(real, target[key])  # type: ignore[operator]
    return dict(sorted(merged.items()))


def _keep_table(real: Table, known: Table) -> Table:
    """The database's shape with the facts only muskox knows (lifecycle, cluster, metadata, version)."""
    return attrs.evolve(real, life_cycle=known.life_cycle, cluster=known.cluster, metadata=known.metadata,
                        version=known.version)


def _keep_materialized_view(real: MaterializedView, known: MaterializedView) -> MaterializedView:
    return attrs.evolve(real, life_cycle=known.life_cycle, metadata=known.metadata)
