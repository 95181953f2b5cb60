"""Cluster-wide drift: every node's schema compared in one query through ``clusterAllReplicas``.

One statement on the URL's server reads the columns and tables of the managed databases on every replica of the
cluster (``hostName()`` and ``tcpPort()`` say which node each row comes from); a node whose schema differs from
the one most nodes share is drift, reported node by node. muskox's own state tables (``_MOOSE_*``) are left out:
only the nodes a command ran against have them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.cluster.nodes import ClusterNodeDown, Node
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.errors import ClickHouseServerError

__all__ = ["ClusterDrift", "NodeSchema", "check_cluster_schema", "differences", "node_labels", "read_schemas",
           "schema_query"]

#: ``(database, table, column)`` → what the node has: the column's type, or for ``column == ""`` the engine.
NodeSchema = dict[tuple[str, str, str], str]


class ClusterDrift(MuskoxError):
    """The nodes of a cluster do not all have the same schema."""

    exit_code = ExitCode.DRIFT


def schema_query(cluster: str, databases: Sequence[str]) -> str:
    """The one query reading every node's columns and table engines in ``databases``."""
    names = ", ".join(quote_string(d) for d in databases)
    where = f"database IN ({names}) AND NOT startsWith({{name}}, '_MOOSE_')"
    source = f"clusterAllReplicas({quote_string(cluster)}, system.{{what}})"
    return (f"SELECT hostName(), tcpPort(), database, table, name, type FROM {source.format(what='columns')} "
            f"WHERE {where.format(name='table')} UNION ALL "
            f"SELECT hostName(), tcpPort(), database, name, '', engine FROM {source.format(what='tables')} "
            f"WHERE {where.format(name='name')} AND NOT is_temporary")


def _thing(key: tuple[str, str, str]) -> str:
    database, table, column = key
    name = f"{quote_identifier(database)}.{quote_identifier(table)}"
    return f"table {name}" if not column else f"column {quote_identifier(column)} of {name}"


def differences(schemas: dict[str, NodeSchema]) -> dict[str, list[str]]:
    """For each node whose schema differs from the most common one (ties: the first node's), what differs."""
    if len(schemas) < 2:
        return {}
    frozen = {node: frozenset(schema.items()) for node, schema in schemas.items()}
    counts = Counter(frozen.values())
    best = max(counts.values())
    reference_node = next(node for node, items in frozen.items() if counts[items] == best)
    reference = schemas[reference_node]
    found: dict[str, list[str]] = {}
    for node, schema in schemas.items():
        if frozen[node] == frozen[reference_node]:
            continue
        lines: list[str] = []
        for key in sorted(set(reference) | set(schema)):
            mine, theirs = schema.get(key), reference.get(key)
            if mine == theirs:
                continue
            what = "engine" if not key[2] else "type"
            if mine is None:
                lines.append(f"{_thing(key)} is missing (other nodes: {what} {theirs})")
            elif theirs is None:
                lines.append(f"{_thing(key)} exists only here ({what} {mine})")
            else:
                lines.append(f"{_thing(key)} has {what} {mine} (other nodes: {theirs})")
        found[node] = lines
    return found


def node_labels(nodes: Sequence[Node]) -> Callable[[str, int], str]:
    """Which node a row of ``clusterAllReplicas`` comes from, by its ``hostName()`` and ``tcpPort()``: the node
    with that host and port, else the only node with that port (``hostName()`` need not be the name
    ``system.clusters`` lists), else ``host:port`` itself."""
    exact = {(node.host, node.port): node.label for node in nodes}
    by_port: dict[int, list[str]] = {}
    for node in nodes:
        by_port.setdefault(node.port, []).append(node.label)

    def label(host: str, port: int) -> str:
        found = exact.get((host, port))
        if found is None and len(by_port.get(port, ())) == 1:
            found = by_port[port][0]
        return found if found is not None else f"{host}:{port}"

    return label


def read_schemas(client: ClickHouseClient, cluster: str, databases: Sequence[str], nodes: Sequence[Node], *,
                 down: Collection[Node] = ()) -> dict[str, NodeSchema]:
    """Every node's schema in ``databases``, by the node's label (``node 2 (host:port)``; a node without a row
    has an empty schema), in one query. The nodes in ``down`` are left out (the query skips the replicas that
    do not answer) instead of failing the query.

    :raises ClusterNodeDown: a node did not answer (and ``down`` is empty)."""
    sql = schema_query(cluster, databases)
    try:
        rows = client.query(sql, settings={"skip_unavailable_shards": 1}) if down else client.select_rows(sql)
    except ClickHouseServerError as exc:
        raise ClusterNodeDown(
            f"cannot read the schema of every node of cluster {cluster!r}: {exc.server_message}",
            "start the node(s) that do not answer (or fix the network) and run the command again") from exc
    label = node_labels(nodes)
    skipped = {node.label for node in down}
    schemas: dict[str, NodeSchema] = {node.label: {} for node in nodes if node.label not in skipped}
    for host, port, database, table, column, text in rows:
        name = label(str(host), int(port))
        if name not in skipped:
            schemas.setdefault(name, {})[(str(database), str(table), str(column))] = str(text)
    return schemas


def check_cluster_schema(client: ClickHouseClient, cluster: str, databases: Sequence[str],
                         nodes: Sequence[Node]) -> None:
    """Compare every node of ``cluster``; raise :class:`ClusterDrift` naming each differing node and its
    differences."""
    found = differences(read_schemas(client, cluster, databases, nodes))
    if found:
        details = "; ".join(f"{node}: {', '.join(lines)}" for node, lines in found.items())
        raise ClusterDrift(f"the nodes of cluster {cluster!r} do not have the same schema, so nothing was "
                           f"executed - {details}",
                           "make the node(s) match the others again (or drop what was changed by hand), then run "
                           "muskox plan")
