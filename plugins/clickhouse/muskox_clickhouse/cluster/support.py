"""What :class:`muskox_clickhouse.backend.ClickHouseBackend` does for clusters: check them against the server
(names in ``system.clusters``, every ``per_node`` node reachable, every node's schema alike) and build the
cluster-aware applier."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from muskox.errors import ConfigError
from muskox.model.operations import Operation
from muskox_clickhouse.apply import ClickHouseApplier
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.cluster.applier import ClusterApplier, _OnClusterApplier
from muskox_clickhouse.cluster.nodes import Node, check_reachable, discover_nodes
from muskox_clickhouse.cluster.schema_check import check_cluster_schema
from muskox_clickhouse.cluster.settings import ClusterSettings
from muskox_clickhouse.url import ClickHouseUrl

__all__ = ["ClusterSupport"]


class ClusterSupport:
    """The configured clusters of one backend, the nodes discovered for them, and their checks."""

    def __init__(self, settings: ClusterSettings, url: ClickHouseUrl) -> None:
        self.settings = settings
        self.url = url
        self._nodes: dict[str, list[Node]] = {}
        self._lock = threading.Lock()
        self._applier: ClusterApplier | None = None

    def __bool__(self) -> bool:
        return bool(self.settings.clusters)

    def nodes(self, client: ClickHouseClient, cluster: str) -> list[Node]:
        """The nodes of ``cluster`` (discovered on first use)."""
        with self._lock:
            if cluster not in self._nodes:
                entry = self.settings.get(cluster)
                self._nodes[cluster] = discover_nodes(client, cluster, self.url, entry.nodes if entry else ())
            return self._nodes[cluster]

    def known_to_server(self, client: ClickHouseClient) -> set[str]:
        """The clusters ``system.clusters`` lists."""
        return {str(row[0]) for row in client.select_rows("SELECT DISTINCT cluster FROM system.clusters")}

    def check(self, client: ClickHouseClient, databases: Sequence[str]) -> None:
        """Every configured cluster is known to the server (unless its nodes are listed), every node of a
        ``per_node`` cluster answers, and all nodes of each cluster have the same schema in ``databases``."""
        known = self.known_to_server(client)
        for entry in self.settings.clusters:
            if entry.name not in known and not entry.nodes:
                raise ConfigError(
                    f"cluster {entry.name!r} of [[clickhouse_config.clusters]] is not defined on the server "
                    f"(system.clusters lists: {', '.join(sorted(known)) or 'none'})",
                    f"define {entry.name} in the servers' <remote_servers>, or correct its name in "
                    "[[clickhouse_config.clusters]]")
            nodes = self.nodes(client, entry.name)
            if entry.ddl == "per_node":
                check_reachable(entry.name, nodes)
            if entry.name in known:
                labels = {node.port: node.label for node in nodes}
                check_cluster_schema(client, entry.name, databases, labels)

    def check_operations(self, operations: Sequence[Operation], client: ClickHouseClient) -> None:
        """Before a run: every cluster the operations name is configured, and every node of the ``per_node``
        ones answers (a node that is down stops the run before anything executes)."""
        used: dict[str, str] = {}
        for operation in operations:
            mode = self.settings.mode_of(operation)  # raises for a cluster that is not configured
            if mode is not None:
                used[mode[0]] = mode[1]
        for cluster, ddl in used.items():
            if ddl == "per_node":
                check_reachable(cluster, self.nodes(client, cluster))

    def applier(self, main_url: ClickHouseUrl, client: ClickHouseClient, *, connect_timeout: float,
                query_timeout: float, mutation_timeout: float | None) -> ClusterApplier:
        """The cluster-aware applier (created once)."""
        if self._applier is not None:
            return self._applier

        def configure(applier: ClickHouseApplier) -> ClickHouseApplier:
            if mutation_timeout is not None:
                applier.mutation_timeout = mutation_timeout
            return applier

        main = _OnClusterApplier(main_url, connect_timeout=connect_timeout, query_timeout=query_timeout)
        configure(main)

        def node_applier(node: Node) -> ClickHouseApplier:
            return configure(ClickHouseApplier(node.url, default_database=main.default_database,
                                               connect_timeout=connect_timeout, query_timeout=query_timeout))

        self._applier = ClusterApplier(main, self.settings, lambda cluster: self.nodes(client, cluster),
                                       node_applier)
        return self._applier

    def close(self) -> None:
        """Close the applier's connections."""
        applier, self._applier = self._applier, None
        if applier is not None:
            applier.close()
