"""Applying operations on a cluster: ``per_node`` runs each operation on every node (in parallel across nodes,
in order within a node, as the executor orders them), ``on_cluster`` sends it once with ``ON CLUSTER`` and
reports each host's answer to the distributed DDL. Operations that name no cluster run on the URL's server."""

from __future__ import annotations

import concurrent.futures
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.operations import Operation
from muskox_clickhouse.alter import Statement, statement_settings
from muskox_clickhouse.apply import ClickHouseApplier, sql_log
from muskox_clickhouse.cluster.nodes import Node
from muskox_clickhouse.cluster.settings import ClusterSettings
from muskox_clickhouse.cluster.statements import create_database_statement, for_node, on_cluster_statements
from muskox_clickhouse.sql_masking import mask_sql

__all__ = ["ClusterApplier", "DistributedDdlFailed", "PerNodeFailed", "distributed_ddl_report"]

log = logging.getLogger("muskox.cluster")

#: Seconds the server waits for every host to run an ``ON CLUSTER`` statement (``distributed_ddl_task_timeout``).
DISTRIBUTED_DDL_TIMEOUT = 180
#: Most threads a node's pool runs at once: the executor's parallelism bounds them in practice (a thread is started
#: only when every existing one is busy), so each node gets as many connections as the executor runs operations.
_NODE_THREADS = 32


class PerNodeFailed(MuskoxError):
    """An operation failed on one node or more in ``per_node`` mode; says what every node ran."""

    exit_code = ExitCode.APPLY_FAILED


class DistributedDdlFailed(MuskoxError):
    """An ``ON CLUSTER`` statement did not finish on every host within ``distributed_ddl_task_timeout``."""

    exit_code = ExitCode.APPLY_FAILED


def distributed_ddl_report(sql: str, rows: Sequence[Sequence[Any]]) -> list[str]:
    """Check the rows an ``ON CLUSTER`` statement returns (``host, port, status, error, num_hosts_remaining,
    num_hosts_active``, sent with ``distributed_ddl_output_mode = 'null_status_on_timeout'``): one line per host;
    raises :class:`DistributedDdlFailed` naming every host whose status is NULL (unfinished) or non-zero."""
    lines: list[str] = []
    bad: list[str] = []
    for row in rows:
        host, port, status, error = row[0], row[1], row[2], row[3] if len(row) > 3 else ""
        where = f"{host}:{port}"
        if status is None:
            bad.append(f"{where} did not finish within distributed_ddl_task_timeout ({DISTRIBUTED_DDL_TIMEOUT} s)")
            lines.append(f"? {where}: unfinished")
        elif int(status) != 0:
            bad.append(f"{where} failed: {error}")
            lines.append(f"✗ {where}: {error}")
        else:
            lines.append(f"✓ {where}")
    if bad:
        raise DistributedDdlFailed(
            f"{mask_sql(sql)} did not complete on every host: " + "; ".join(bad),
            "the statement stays queued on hosts that did not finish (system.distributed_ddl_queue); wait for them "
            "or fix the failing host, then run muskox again (or use ddl = \"per_node\" for this cluster)")
    return lines


class _OnClusterApplier(ClickHouseApplier):
    """Runs an operation's ``ON CLUSTER`` statements on the URL's server and reads each host's answer."""

    def apply_on_cluster(self, operation: Operation, cluster: str) -> None:
        statements = on_cluster_statements(operation, self.default_database, cluster)
        target = self._database_to_create(operation)
        if target is not None and not self._database_exists(target[0]):
            self._distributed(Statement(create_database_statement(target[0], cluster)))
        for statement in statements:
            self._distributed(statement)

    def _distributed(self, statement: Statement) -> None:
        client = self._session_client(statement.session_database)
        settings: dict[str, Any] = statement_settings(statement)
        settings.update(distributed_ddl_task_timeout=DISTRIBUTED_DDL_TIMEOUT,
                        distributed_ddl_output_mode="null_status_on_timeout")
        sql_log.info("%s", mask_sql(statement.sql))
        for line in distributed_ddl_report(statement.sql, client.query(statement.sql, settings=settings)):
            log.info("  %s", line)


class ClusterApplier:
    """The backend's applier when clusters are configured (thread-safe, like :class:`ClickHouseApplier`).

    :param main: applies to the URL's server (operations without a cluster).
    :param nodes_of: the nodes of a ``per_node`` cluster (discovered once by the backend).
    :param make_applier: an applier for one node's URL.
    """

    def __init__(self, main: _OnClusterApplier, settings: ClusterSettings, nodes_of: Callable[[str], list[Node]],
                 make_applier: Callable[[Node], ClickHouseApplier], *, out: TextIO | None = None) -> None:
        self.main = main
        self.settings = settings
        self.nodes_of = nodes_of
        self.make_applier = make_applier
        self.out = out if out is not None else sys.stderr
        self.total: int | None = None
        """How many operations the run has (set by ``begin_apply``), for the ``[i/N]`` of each node."""
        self._lock = threading.Lock()
        self._appliers: dict[tuple[str, int], ClickHouseApplier] = {}
        self._pools: dict[tuple[str, int], concurrent.futures.ThreadPoolExecutor] = {}
        """One pool per node, alive for the whole run: its threads keep their connections to that node from one
        operation to the next (an applier's connections belong to the thread that opened them)."""
        self._ran: dict[tuple[str, int], list[str]] = {}

    def apply(self, operation: Operation) -> None:
        """Apply ``operation`` where its cluster's ``ddl`` says."""
        mode = self.settings.mode_of(operation)
        if mode is None:
            self.main.apply(operation)
        elif mode[1] == "on_cluster":
            self.main.apply_on_cluster(operation, mode[0])
        else:
            self._per_node(operation, mode[0])

    __call__ = apply

    def _applier(self, node: Node) -> tuple[ClickHouseApplier, concurrent.futures.ThreadPoolExecutor]:
        key = (node.host, node.port)
        with self._lock:
            if key not in self._appliers:
                self._appliers[key] = self.make_applier(node)
                self._pools[key] = concurrent.futures.ThreadPoolExecutor(
                    max_workers=_NODE_THREADS, thread_name_prefix=f"muskox-node{node.number}")
            return self._appliers[key], self._pools[key]

    def _submit(self, node: Node, operation: Operation) -> concurrent.futures.Future[None]:
        applier, pool = self._applier(node)
        return pool.submit(applier.apply, operation)

    def _per_node(self, operation: Operation, cluster: str) -> None:
        nodes = self.nodes_of(cluster)
        single = for_node(operation)
        futures = [self._submit(node, single) for node in nodes]
        errors = [future.exception() for future in futures]
        lines: list[str] = []
        for node, error in zip(nodes, errors, strict=True):
            key = (node.host, node.port)
            with self._lock:
                ran = self._ran.setdefault(key, [])
                if error is None:
                    ran.append(operation.describe())
                count = len(ran) + (error is not None)
            of = f"/{self.total}" if self.total else ""
            mark = "✓" if error is None else "✗"
            lines.append(f"  {mark} [{count}{of}] {node.label} {operation.describe()}")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        failed = [(node, error) for node, error in zip(nodes, errors, strict=True) if error is not None]
        if failed:
            raise PerNodeFailed(self._failure(operation, cluster, nodes, {(n.host, n.port): e for n, e in failed}),
                "fix the cause on the failing node(s); the nodes that ran the operation keep it (nothing is rolled "
                "back), so regenerate the plan per node or apply the rest by hand, then run muskox plan")

    def _failure(self, operation: Operation, cluster: str, nodes: list[Node],
                 errors: dict[tuple[str, int], BaseException]) -> str:
        parts = [f"{operation.describe()} failed on {len(errors)} of {len(nodes)} node(s) of cluster {cluster!r}"]
        for node in nodes:
            key = (node.host, node.port)
            with self._lock:
                ran = list(self._ran.get(key, []))
            done = f"ran {len(ran)} operation(s)" + (f" (last: {ran[-1]})" if ran else "")
            if key in errors:
                parts.append(f"{node.label} {done}, then failed: {errors[key]}")
            else:
                parts.append(f"{node.label} {done}, this one included")
        return "; ".join(parts)

    def close(self) -> None:
        """Close every node's connections and the main server's."""
        with self._lock:
            appliers, self._appliers = list(self._appliers.values()), {}
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown(wait=True)
        for applier in appliers:
            applier.close()
        self.main.close()
