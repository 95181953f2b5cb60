"""The inputs of planning, gathered for one command: the target (code), the stored state, reality, current.

    user code ── collect ──► target
    backend introspection ─► reality ─┐
    state store ───────────► stored ──┴─ reconcile ─► current
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from muskox.config import Config
from muskox.gc_pause import collection_paused
from muskox.model.infra_map import InfraMap
from muskox.plan.differ import NormalizedTables
from muskox.plan.reconcile import reconcile
from muskox.plugin.backends import Backends, open_backends
from muskox.plugin.manager import Plugins
from muskox.state import open_state_store

if TYPE_CHECKING:
    from muskox.plugin.dialect import Dialect


@attrs.frozen
class PlanningInputs:
    """Everything the planner compares, with the database the plan applies to and the OLAP backend's dialect
    they are compared in."""

    target: InfraMap
    stored: InfraMap | None
    reality: InfraMap
    current: InfraMap
    database: str
    dialect: Dialect
    normalized: NormalizedTables | None = None
    """The code's tables already in the dialect's comparable form (for :class:`muskox.plan.differ.DiffOptions`)."""


def load_target(config: Config, project_dir: Path, default_database: str, dialect: Dialect) -> InfraMap:
    """The code's declarations (``<project>/<source_dir>/<main_module>``) as an :class:`InfraMap` (exact column
    types given as text, ``clickhouse_type("…")``, read by the OLAP backend's ``dialect``)."""
    from muskox.declare.collect import collect_project

    target = collect_project(project_dir, source_dir=config.project.source_dir,
                             main_module=config.project.main_module, default_database=default_database,
                             topic_namespace=config.redpanda_config.namespace, dialect=dialect)
    if not config.features.streaming_engine:  # topics are not managed: the code's streams are left out
        target = attrs.evolve(target, topics={})
    from muskox.plugin.kinds import declared_extensions

    extensions = declared_extensions(project_dir, config)  # plugins' kinds, once the code was imported
    return attrs.evolve(target, extensions=extensions) if extensions else target


def open_backend(plugins: Plugins, config: Config) -> Backends:
    """The backends for ``[clickhouse_config]`` and ``[redpanda_config]`` (``--clickhouse-url`` and
    ``--kafka-url`` are already merged into them); the broker is contacted only when topics are involved."""
    return open_backends(plugins, config)


def gather(plugins: Plugins, config: Config, project_dir: Path, backend: Any) -> PlanningInputs:
    """Read the code, the state store and the database, and reconcile them (spec section 1, step 2)."""
    database: str = backend.database
    dialect: Dialect = backend.dialect
    backend.prefetch()  # the server reads its schema while the code and the state are read here
    with collection_paused():  # what is built here stays alive: the collector would find nothing to free
        target = load_target(config, project_dir, database, dialect)
        with open_state_store(config, plugins, project_dir=project_dir, dialect=dialect) as store:
            stored: InfraMap | None = store.load_state()
        normalized = NormalizedTables(dialect, target.default_database,
                                      frozenset(config.migration_config.ignore_operations))
        for table in target.tables.values():  # while the server may still be answering: the diff needs them
            normalized(table)
        reality: InfraMap = backend.introspect(stored, target)
        current = reconcile(stored, reality, target)
    return PlanningInputs(target=target, stored=stored, reality=reality, current=current, database=database,
                          dialect=dialect, normalized=normalized)
