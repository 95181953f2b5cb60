"""Which cluster an operation belongs to, and how its DDL reaches that cluster's nodes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from muskox.errors import ConfigError
from muskox.model.operations import (
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropMaterializedView,
    DropView,
    Operation,
    TableOperation,
)

__all__ = ["ClusterSettings", "DdlMode", "unknown_cluster_error"]

DdlMode = Literal["on_cluster", "per_node"]
_VIEW_OPERATIONS = (CreateView, DropView, CreateMaterializedView, DropMaterializedView)


@attrs.frozen
class ClusterEntry:
    """One ``[[clickhouse_config.clusters]]`` entry."""

    name: str
    ddl: DdlMode = "on_cluster"
    nodes: tuple[str, ...] = ()


def unknown_cluster_error(name: str, where: str, known: Sequence[str]) -> ConfigError:
    """The one error for a cluster muskox does not know: what names it, and the TOML to add."""
    listed = f" (listed: {', '.join(known)})" if known else " (none is listed)"
    return ConfigError(
        f"{where} names cluster {name!r}, which is not in [[clickhouse_config.clusters]]{listed}",
        f'add to muskox.toml (or moose.config.toml): [[clickhouse_config.clusters]] name = "{name}" '
        '(and ddl = "per_node" to run each statement on every node instead of ON CLUSTER)')


@attrs.frozen
class ClusterSettings:
    """The configured clusters, by name."""

    clusters: tuple[ClusterEntry, ...] = ()

    @classmethod
    def from_config(cls, entries: Sequence[object]) -> ClusterSettings:
        """From ``config.clickhouse_config.clusters`` (objects with ``name``, ``ddl``, ``nodes``)."""
        return cls(tuple(ClusterEntry(name=str(getattr(e, "name", "")), ddl=getattr(e, "ddl", "on_cluster"),
                                      nodes=tuple(getattr(e, "nodes", ()) or ())) for e in entries))

    @property
    def names(self) -> list[str]:
        """The configured cluster names, in order."""
        return [c.name for c in self.clusters]

    def get(self, name: str) -> ClusterEntry | None:
        """The entry named ``name``."""
        return next((c for c in self.clusters if c.name == name), None)

    @property
    def project_cluster(self) -> str | None:
        """The only configured cluster, which views and materialized views (Moose gives them no cluster) use;
        None with none or several."""
        return self.clusters[0].name if len(self.clusters) == 1 else None

    def cluster_of(self, operation: Operation) -> str | None:
        """The cluster ``operation`` runs on: a table's declared cluster; for views and materialized views the
        project's only cluster; None for everything else (it runs on the server of the URL)."""
        match operation:
            case CreateTable(table=table):
                return table.cluster
            case TableOperation(cluster_name=cluster):
                return cluster
        if isinstance(operation, _VIEW_OPERATIONS):
            return self.project_cluster
        return None

    def mode_of(self, operation: Operation) -> tuple[str, DdlMode] | None:
        """``(cluster, ddl mode)`` of ``operation``, None when it names no cluster. Raises the one
        :func:`unknown_cluster_error` for a cluster that is not configured."""
        cluster = self.cluster_of(operation)
        if cluster is None:
            return None
        entry = self.get(cluster)
        if entry is None:
            raise unknown_cluster_error(cluster, f"{operation.describe()}", self.names)
        return cluster, entry.ddl
