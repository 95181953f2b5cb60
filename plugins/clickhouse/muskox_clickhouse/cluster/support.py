"""What :class:`muskox_clickhouse.backend.ClickHouseBackend` does for clusters: check them against the server
(names in ``system.clusters``, every ``per_node`` node reachable, every node's schema alike) and build the
cluster-aware applier."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from muskox.errors import ConfigError
from muskox.model.operations import CreateTable, Operation
from muskox_clickhouse.apply import ClickHouseApplier
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.cluster.applier import ClusterApplier, _OnClusterApplier
from muskox_clickhouse.cluster.nodes import Node, check_reachable, discover_nodes, reachability
from muskox_clickhouse.cluster.schema_check import check_cluster_schema, differences, read_schemas
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
        self.reported = False
        """Set by :meth:`node_states`: the command shows each node's state, so :meth:`check` no longer refuses
        to read because nodes differ or do not answer (``ls --json``)."""
        self._run_checked = False
        """Set by :meth:`check_operations` (a run starts, its nodes compared and reached just before): the next
        :meth:`check`, reading the run's result to record it, does not compare them again."""
        self._answered: set[str] = set()
        """``per_node`` clusters whose every node answered in the last :meth:`check` (the next
        :meth:`check_operations` does not reach them again)."""

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

    def _check_known(self, known: set[str]) -> None:
        """Every configured cluster is in ``known`` (the server's ``system.clusters``) or lists its nodes."""
        for entry in self.settings.clusters:
            if entry.name not in known and not entry.nodes:
                raise ConfigError(
                    f"cluster {entry.name!r} of [[clickhouse_config.clusters]] is not defined on the server "
                    f"(system.clusters lists: {', '.join(sorted(known)) or 'none'})",
                    f"define {entry.name} in the servers' <remote_servers>, correct its name in "
                    f"[[clickhouse_config.clusters]], or list its nodes there: name = \"{entry.name}\" "
                    'nodes = ["clickhouse://HOST:9000", …]')

    def check(self, client: ClickHouseClient, databases: Sequence[str]) -> None:
        """Every configured cluster is known to the server (unless its nodes are listed), every node of a
        ``per_node`` cluster answers, and all nodes of each cluster have the same schema in ``databases``."""
        self._answered.clear()
        if self._run_checked:
            self._run_checked = False
            return
        known = self.known_to_server(client)
        self._check_known(known)
        for entry in self.settings.clusters:
            nodes = self.nodes(client, entry.name)
            if self.reported:  # the caller shows the nodes' state (node_states) instead of refusing
                continue
            if entry.ddl == "per_node":
                check_reachable(entry.name, nodes)
                self._answered.add(entry.name)
            if entry.name in known:
                check_cluster_schema(client, entry.name, databases, nodes)

    def node_states(self, client: ClickHouseClient, databases: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each configured cluster's nodes: address, whether muskox reaches it, and whether its schema in
        ``databases`` equals the one most nodes share (``same_schema``; None when not compared: the node does not
        answer, or the server does not know the cluster) with the differences, in one ``clusterAllReplicas``
        query per cluster. Never refuses because nodes differ or are down (that is what it reports), and from
        now on neither does :meth:`check`."""
        self.reported = True
        known = self.known_to_server(client)
        self._check_known(known)
        report: dict[str, list[dict[str, Any]]] = {}
        for entry in self.settings.clusters:
            nodes = self.nodes(client, entry.name)
            answers = reachability(nodes)
            down = [node for node, answer in zip(nodes, answers, strict=True) if answer is not None]
            compared = entry.name in known and len(down) < len(nodes)
            found = differences(read_schemas(client, entry.name, databases, nodes, down=down)) if compared else {}
            report[entry.name] = [
                {"node": node.number, "host": node.host, "port": node.port, "reachable": answer is None,
                 "error": answer, "same_schema": node.label not in found if compared and answer is None else None,
                 "differences": found.get(node.label, [])}
                for node, answer in zip(nodes, answers, strict=True)]
        return report

    def check_operations(self, operations: Sequence[Operation], client: ClickHouseClient) -> None:
        """Before a run: every cluster the operations name is configured, no table they create is replicated on a
        ``per_node`` cluster without a Keeper path (:meth:`ClusterSettings.check_replication`), and every node of
        the ``per_node`` ones answers (a node that is down stops the run before anything executes)."""
        used: dict[str, str] = {}
        for operation in operations:
            mode = self.settings.mode_of(operation)  # raises for a cluster that is not configured
            if isinstance(operation, CreateTable):
                self.settings.check_replication(operation.table)
            if mode is not None:
                used[mode[0]] = mode[1]
        answered, self._answered = self._answered, set()
        for cluster, ddl in used.items():
            if ddl == "per_node" and cluster not in answered:  # not reached by the check that just ran
                check_reachable(cluster, self.nodes(client, cluster))
        self._run_checked = True

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
