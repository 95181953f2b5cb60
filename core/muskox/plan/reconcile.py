"""Reconciliation: the last applied state (from the state store) checked against reality (introspection).

Spec 1, step 2: what the state store remembers but the database lacks is gone; what the database has in a
different shape is taken as it is, keeping what introspection cannot see (lifecycle, cluster, metadata); what
the database has but the store never recorded is adopted only when the code declares it — so pre-existing
tables that match the code become "already there" instead of "create", and foreign tables are never dropped.
Topics follow the same rules; of their configuration, only the keys muskox manages are kept (the broker
reports every key, most at their defaults).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.extensions import Extensions
from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Table

R = TypeVar("R", Table, View, MaterializedView, Dictionary)


def reconcile(stored: InfraMap | None, reality: InfraMap, target: InfraMap) -> InfraMap:
    """The current state: ``reality`` restricted to what muskox manages or the code declares."""
    stored = stored or InfraMap(default_database=target.default_database)
    return InfraMap(
        default_database=target.default_database,
        tables=_merge_tables(stored, reality, target),
        views=_merge(stored.views, reality.views, target.views, lambda real, _old: real),
        materialized_views=_merge(stored.materialized_views, reality.materialized_views, target.materialized_views,
                                  _keep_materialized_view),
        topics=_merge_topics(stored, reality, target),
        dictionaries=_merge(stored.dictionaries, reality.dictionaries, target.dictionaries, _keep_dictionary),
        sql_resources=dict(stored.sql_resources),  # the database cannot tell: what the store says ran
        extensions=_merge_extensions(stored.extensions, reality.extensions, target.extensions),
    )


def _merge_extensions(stored: Extensions, reality: Extensions, target: Extensions) -> Extensions:
    """Plugins' objects as their backends report them, those muskox manages or the code declares."""
    merged: Extensions = {}
    for kind, objects in reality.items():
        known = set(stored.get(kind, {})) | set(target.get(kind, {}))
        kept = {name: spec for name, spec in sorted(objects.items()) if name in known}
        if kept:
            merged[kind] = kept
    return merged


def applied_state(stored: InfraMap | None, reality: InfraMap, target: InfraMap) -> InfraMap:
    """The state to store after a plan was applied: :func:`reconcile`, except that a topic the code declares is
    remembered with exactly the configuration keys the code declares now (keys it no longer declares were
    deleted from the topic by the plan, and the broker may still report their defaults), and the SQL resources
    are the code's (the plan ran their setup and teardown statements)."""
    if stored is not None:
        stored = attrs.evolve(stored, topics={k: t for k, t in stored.topics.items() if k not in target.topics})
    # the plan ran every SQL resource's setup and teardown the code asked for
    return attrs.evolve(reconcile(stored, reality, target), sql_resources=dict(target.sql_resources))


def _merge(stored: Mapping[str, R], reality: Mapping[str, R], target: Mapping[str, R],
           keep: object) -> dict[str, R]:
    merged: dict[str, R] = {}
    for key, real in reality.items():
        if key in stored:
            merged[key] = keep(real, stored[key])  # type: ignore[operator]
        elif key in target:
            merged[key] = keep(real, target[key])  # type: ignore[operator]
    return dict(sorted(merged.items()))


def _merge_tables(stored: InfraMap, reality: InfraMap, target: InfraMap) -> dict[str, Table]:
    """Tables matched by physical identity (database, name): introspection cannot see versions."""
    default = target.default_database

    def physical(table: Table, fallback: str) -> tuple[str, str]:
        return (table.database or fallback, table.name)

    real_by_name = {physical(t, reality.default_database): t for t in reality.tables.values()}
    stored_default = stored.default_database or default
    merged: dict[str, Table] = {}
    for key in target.tables.keys() | stored.tables.keys():
        # the store's view of a table wins over the code's (when the table it knows exists)
        known = stored.tables.get(key)
        real = None if known is None else real_by_name.get(physical(known, stored_default))
        if real is None and key in target.tables:
            known = target.tables[key]
            real = real_by_name.get(physical(known, default))
        if real is not None and known is not None:
            merged[key] = _keep_table(real, known)
    return dict(sorted(merged.items()))


def _keep_table(real: Table, known: Table) -> Table:
    """The database's shape with the facts only muskox knows (lifecycle, cluster, metadata, version)."""
    return attrs.evolve(real, life_cycle=known.life_cycle, cluster=known.cluster, metadata=known.metadata,
                        version=known.version)


def _keep_dictionary(real: Dictionary, known: Dictionary) -> Dictionary:
    """What muskox knows of it (Moose's encoding, lifecycle) with the statement the database reports."""
    return attrs.evolve(known, server_sql=real.server_sql)


def _keep_materialized_view(real: MaterializedView, known: MaterializedView) -> MaterializedView:
    return attrs.evolve(real, life_cycle=known.life_cycle, metadata=known.metadata)


def _merge_topics(stored: InfraMap, reality: InfraMap, target: InfraMap) -> dict[str, Topic]:
    """Topics muskox manages (stored) or the code declares that exist on the broker, matched by name."""
    real_by_name = {t.name: t for t in reality.topics.values()}
    merged: dict[str, Topic] = {}
    for key, known in [*target.topics.items(), *stored.topics.items()]:
        real = real_by_name.get(known.name)
        if real is not None:
            merged[key] = _keep_topic(real, stored.topics.get(key), target.topics.get(key))
    return dict(sorted(merged.items()))


def _keep_topic(real: Topic, stored: Topic | None, declared: Topic | None) -> Topic:
    """The broker's partitions and values of the configuration keys muskox manages — those the code declares
    and those it declared when the state was stored — with the facts only muskox knows (lifecycle, version,
    metadata; the code's when it declares the topic)."""
    known = [t for t in (declared, stored) if t is not None]
    keys = {key for topic in known for key in topic.managed_configs()}
    configs = {k: v for k, v in real.managed_configs().items() if k in keys}
    facts = known[0]
    return attrs.evolve(real.with_managed_configs(configs), life_cycle=facts.life_cycle, version=facts.version,
                        metadata=facts.metadata)
