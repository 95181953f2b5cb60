"""The nodes of a cluster: from ``nodes = [urls]``, else from ``system.clusters`` (same credentials, the native
protocol on each node's port), and a reachability check of all of them before anything runs."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence

import attrs

from muskox.errors import ConnectionFailed, MuskoxError
from muskox_clickhouse.client import ClickHouseClient, connect
from muskox_clickhouse.dialect.quoting import quote_string
from muskox_clickhouse.url import DEFAULT_USER, ClickHouseUrl, parse_url

__all__ = ["ClusterNodeDown", "Node", "check_reachable", "cluster_hosts", "discover_nodes", "reachability"]


class ClusterNodeDown(ConnectionFailed):
    """A node of a ``per_node`` cluster cannot be reached: nothing was executed."""


@attrs.frozen
class Node:
    """One node: its number in the cluster (1-based, in ``system.clusters`` order) and how to reach it."""

    number: int
    host: str
    port: int
    url: ClickHouseUrl = attrs.field(repr=False)

    @property
    def label(self) -> str:
        """``node 2 (127.0.0.1:9002)``."""
        return f"node {self.number} ({self.host}:{self.port})"


def cluster_hosts(client: ClickHouseClient, cluster: str) -> list[tuple[str, int]]:
    """``(host_name, port)`` of every replica of ``cluster`` in ``system.clusters``, by shard and replica."""
    rows = client.select_rows(
        f"SELECT host_name, port FROM system.clusters WHERE cluster = {quote_string(cluster)} "
        "ORDER BY shard_num, replica_num")
    return [(str(host), int(port)) for host, port in rows]


def discover_nodes(client: ClickHouseClient, cluster: str, base: ClickHouseUrl,
                   explicit: Sequence[str] = ()) -> list[Node]:
    """The nodes of ``cluster``: the ``nodes`` URLs when given (without credentials of their own they take
    ``base``'s), else every host ``system.clusters`` lists, reached over the native protocol with ``base``'s
    user, password and database."""
    nodes: list[Node] = []
    if explicit:
        for number, text in enumerate(explicit, 1):
            url = parse_url(text, source=f"clickhouse_config.clusters[{cluster}].nodes")
            if url.user == DEFAULT_USER and not url.password:
                url = attrs.evolve(url, user=base.user, password=base.password)
            nodes.append(Node(number=number, host=url.host, port=url.port, url=url))
        return nodes
    hosts = cluster_hosts(client, cluster)
    if not hosts:
        raise MuskoxError(f"the server lists no host for cluster {cluster!r} in system.clusters",
                          f"add {cluster} to <remote_servers> of the servers, or list its nodes in muskox.toml: "
                          f'nodes = ["clickhouse://HOST:9000", …] in its [[clickhouse_config.clusters]] entry')
    for number, (host, port) in enumerate(hosts, 1):
        url = attrs.evolve(base, protocol="native", host=host, port=port, ca_cert=None, client_cert=None,
                           client_cert_key=None)
        nodes.append(Node(number=number, host=host, port=port, url=url))
    return nodes


def _ping(node: Node, timeout: float) -> str | None:
    try:
        client = connect(node.url, use_database=False, connect_timeout=timeout, query_timeout=timeout)
    except MuskoxError as exc:
        return exc.problem
    try:
        client.select_rows("SELECT 1")
    except Exception as exc:
        return str(exc)
    finally:
        client.close()
    return None


def reachability(nodes: Sequence[Node], timeout: float = 5.0) -> list[str | None]:
    """Connect to every node at once: for each, None when it answers, else why not."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
        return list(pool.map(lambda node: _ping(node, timeout), nodes))


def check_reachable(cluster: str, nodes: Sequence[Node], timeout: float = 5.0) -> None:
    """Connect to every node at once; raise :class:`ClusterNodeDown` naming each one that does not answer."""
    answers = reachability(nodes, timeout)
    down = [f"{node.label}: {answer}" for node, answer in zip(nodes, answers, strict=True) if answer is not None]
    if down:
        raise ClusterNodeDown(
            f"{len(down)} of {len(nodes)} node(s) of cluster {cluster!r} cannot be reached, so nothing was executed: "
            + "; ".join(down),
            "start the node(s) (or fix the network) and run the command again; muskox runs per_node DDL only when "
            "every node answers")
