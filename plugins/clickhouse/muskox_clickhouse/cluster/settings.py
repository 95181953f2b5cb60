"""Which cluster an operation belongs to, and how its DDL reaches that cluster's nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import attrs

from muskox.errors import ConfigError
from muskox.model.infra_map import InfraMap
from muskox.model.operations import (
    CreateDictionary,
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropDictionary,
    DropMaterializedView,
    DropView,
    Operation,
    ReplaceDictionary,
    TableOperation,
)
from muskox.model.table import Table

__all__ = ["ClusterSettings", "DdlMode", "undeclared_clusters_error", "unknown_cluster_error"]

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


def undeclared_clusters_error(named: Mapping[str, Sequence[str]], known: Sequence[str]) -> ConfigError:
    """The one error for clusters the code names (cluster → the objects naming it) that are not configured: what
    names which, and the TOML entries to add."""
    if len(named) == 1 and len(next(iter(named.values()))) == 1:
        cluster, objects = next(iter(named.items()))
        return unknown_cluster_error(cluster, objects[0], known)
    listed = f" (listed: {', '.join(known)})" if known else " (none is listed)"
    which = "; ".join(f"{', '.join(objects)} {'names' if len(objects) == 1 else 'name'} cluster {cluster!r}"
                      for cluster, objects in named.items())
    entries = " ".join(f'[[clickhouse_config.clusters]] name = "{cluster}"' for cluster in named)
    return ConfigError(f"{which}, which are not in [[clickhouse_config.clusters]]{listed}",
                       f"add to muskox.toml (or moose.config.toml): {entries} (and ddl = \"per_node\" to run each "
                       "statement on every node instead of ON CLUSTER)")


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
        """The only configured cluster, which views and materialized views (Moose gives them no cluster) and
        dictionaries that name none use; None with none or several."""
        return self.clusters[0].name if len(self.clusters) == 1 else None

    def cluster_of(self, operation: Operation) -> str | None:
        """The cluster ``operation`` runs on: a table's declared cluster; a dictionary's declared cluster, else
        the project's only cluster; for views and materialized views the project's only cluster; None for
        everything else (it runs on the server of the URL)."""
        match operation:
            case CreateTable(table=table):
                return table.cluster
            case TableOperation(cluster_name=cluster):
                return cluster
            case CreateDictionary(dictionary=dictionary) | ReplaceDictionary(after=dictionary):
                return dictionary.cluster or self.project_cluster
            case DropDictionary(cluster_name=cluster):
                return cluster or self.project_cluster
        if isinstance(operation, _VIEW_OPERATIONS):
            return self.project_cluster
        return None

    def check_declared(self, target: InfraMap) -> None:
        """Every cluster a table or dictionary of the code (``target``) names is configured, else raise
        :func:`undeclared_clusters_error` naming each object and the TOML to add; and no replicated table of a
        ``per_node`` cluster leaves its Keeper path to the server's ``{uuid}`` default (each node would pick its
        own: no replication), else a :class:`ConfigError` naming the table and the arguments to give."""
        named: dict[str, list[str]] = {}
        for kind, objects in (("table", target.tables.values()), ("dictionary", target.dictionaries.values())):
            for obj in objects:
                if obj.cluster is not None and self.get(obj.cluster) is None:
                    named.setdefault(obj.cluster, []).append(f"{kind} {obj.name!r}")
        if named:
            raise undeclared_clusters_error(named, self.names)
        for table in target.tables.values():
            self.check_replication(table)

    def check_replication(self, table: Table) -> None:
        """Raise a :class:`ConfigError` when ``table`` is replicated on a ``per_node`` cluster and leaves its Keeper
        path to the server's ``{uuid}`` default: each node creating it by itself would get a path of its own, and
        no replica would ever replicate."""
        entry = self.get(table.cluster) if table.cluster is not None else None
        replication = getattr(table.engine, "replication", None)
        if entry is None or entry.ddl != "per_node" or replication is None or replication.keeper_path is not None:
            return
        raise ConfigError(
            f"table {table.name!r} is replicated on cluster {entry.name!r}, whose ddl = \"per_node\" creates it on "
            "each node by itself, and names no keeper_path: each node would get a Keeper path of its own ({uuid}) "
            "and no replica would ever replicate",
            "give the engine keeper_path=\"/clickhouse/tables/{shard}/{database}/{table}\" and "
            "replica_name=\"{replica}\" (the nodes' macros), or use ddl = \"on_cluster\" for this cluster")

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
