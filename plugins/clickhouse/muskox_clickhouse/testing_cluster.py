"""The ``clickhouse_cluster`` fixture: ZooKeeper and three embedded ClickHouse 26.9 nodes forming a cluster.

What runs (see the design notes on clusters): Debian's ``zookeeper`` package as a real coordination service,
and three independent embedded servers (the same launcher as ``muskox local start``) on free loopback ports,
each with a ``config.d`` file naming the ZooKeeper, a shared ``keeper_map_path_prefix`` (KeeperMap tables are
shared: a row written through one node is read through any other), the clusters in ``<remote_servers>`` and its
own ``<macros>``. Two clusters are declared over the same three nodes:

* :data:`SHARDED` (``muskox_test``): three shards of one replica each, for ``Distributed`` tables;
* :data:`REPLICATED` (``muskox_replicas``): one shard with the three nodes as replicas (``internal_replication``).

``Distributed`` tables, ``remote()``, ``cluster()`` and ``clusterAllReplicas()`` work on them. What does not:
``ON CLUSTER`` (the embedded server has no DDL worker) and ``Replicated*MergeTree`` (no interserver HTTP).

A server that cannot start fails the tests with its reason and log; nothing is skipped. Plugin authors get the
fixture through the ``pytest11`` entry point of ``muskox-clickhouse``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

import attrs
import pytest

from muskox.errors import MuskoxError
from muskox.testing.processes import LOOPBACK, ServerProcess, free_port, port_open
from muskox_clickhouse.local import LocalClickHouse, RunningServer

__all__ = [
    "REPLICATED",
    "SHARDED",
    "ClickHouseCluster",
    "ClusterNode",
    "ZooKeeper",
    "ZooKeeperError",
    "clickhouse_cluster",
    "render_node_config",
    "start_cluster",
    "start_zookeeper",
]

SHARDED = "muskox_test"
REPLICATED = "muskox_replicas"
NODE_COUNT = 3
KEEPER_MAP_PREFIX = "/muskox_cluster_keeper_map"

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
ZOOKEEPER_CONF_DIR = Path("/etc/zookeeper/conf")
ZOOKEEPER_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"
ZOOKEEPER_FIX = ("install Debian's ZooKeeper and a Java runtime: `apt-get install -y zookeeper "
                 "default-jre-headless` (scripts/install does it)")
_READY_TIMEOUT = 30.0


class ZooKeeperError(MuskoxError):
    """The test ZooKeeper could not be found or started."""


# -- ZooKeeper ---------------------------------------------------------------------------------------------


@attrs.frozen
class ZooKeeper:
    """A running standalone ZooKeeper on ``127.0.0.1:port``."""

    port: int
    data_dir: Path
    process: ServerProcess = attrs.field(eq=False, repr=False)

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        self.process.stop()


def _answers_ruok(port: int) -> bool:
    if not port_open(port):
        return False
    with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1.0) as sock:
        sock.sendall(b"ruok")
        return sock.recv(16) == b"imok"
    return False


def start_zookeeper(directory: Path) -> ZooKeeper:
    """Start Debian's ZooKeeper in ``directory`` on a free port and wait until it answers ``ruok``."""
    java = shutil.which("java")
    if java is None or not ZOOKEEPER_JAR.is_file():
        missing = "java" if java is None else str(ZOOKEEPER_JAR)
        raise ZooKeeperError(f"the cluster fixture needs ZooKeeper, but {missing} is missing", ZOOKEEPER_FIX)
    directory.mkdir(parents=True, exist_ok=True)
    last = ""
    for attempt in range(1, 4):
        port = free_port()
        data = directory / f"data-{attempt}"
        data.mkdir(exist_ok=True)
        config = directory / f"zoo-{attempt}.cfg"
        config.write_text(f"tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={data}\nclientPort={port}\n"
                          f"clientPortAddress={LOOPBACK}\nadmin.enableServer=false\nmaxClientCnxns=0\n"
                          "4lw.commands.whitelist=ruok\n", encoding="utf-8")
        classpath = os.pathsep.join([str(ZOOKEEPER_CONF_DIR), str(ZOOKEEPER_JAR)])
        argv = [java, "-Xmx256m", "-cp", classpath, ZOOKEEPER_MAIN, str(config)]
        process = ServerProcess("zookeeper", argv, directory / f"zookeeper-{attempt}.log", cwd=directory)
        try:
            process.wait_ready(lambda port=port: _answers_ruok(port), _READY_TIMEOUT)  # type: ignore[misc]
        except RuntimeError as exc:
            last = str(exc)
            continue
        return ZooKeeper(port=port, data_dir=data, process=process)
    raise ZooKeeperError(f"ZooKeeper did not start after 3 attempts: {last}", ZOOKEEPER_FIX)


# -- the nodes ---------------------------------------------------------------------------------------------


@attrs.frozen
class ClusterNode:
    """One node of the cluster: its number (1-based), ports, data directory and macros."""

    number: int
    http_port: int
    tcp_port: int
    data_dir: Path

    @property
    def name(self) -> str:
        """``node2``: also its ``{replica}`` macro."""
        return f"node{self.number}"

    @property
    def shard(self) -> str:
        """Its ``{shard}`` macro in :data:`SHARDED`: ``01``, ``02``, ``03``."""
        return f"{self.number:02d}"

    @property
    def http_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def native_url(self) -> str:
        """``clickhouse://127.0.0.1:PORT``."""
        return f"clickhouse://{LOOPBACK}:{self.tcp_port}"

    @property
    def address(self) -> str:
        """``127.0.0.1:TCP_PORT``, as ``system.clusters`` lists it."""
        return f"{LOOPBACK}:{self.tcp_port}"

    def launcher(self) -> LocalClickHouse:
        """The launcher of this node (start, stop, status)."""
        return LocalClickHouse(self.data_dir, self.http_port, self.tcp_port)


def render_node_config(node: ClusterNode, nodes: list[ClusterNode], zookeeper_port: int) -> str:
    """The ``config.d`` file of ``node``: the ZooKeeper (replacing the embedded test keeper), the shared
    KeeperMap prefix, both clusters over ``nodes`` and the node's macros."""

    def replica(other: ClusterNode) -> str:
        return f"<replica><host>{LOOPBACK}</host><port>{other.tcp_port}</port></replica>"

    sharded = "".join(f"<shard>{replica(other)}</shard>" for other in nodes)
    replicas = "".join(replica(other) for other in nodes)
    return f"""<?xml version="1.0"?>
<!-- Written by muskox_clickhouse.testing_cluster. -->
<clickhouse>
    <zookeeper replace="replace">
        <node><host>{LOOPBACK}</host><port>{zookeeper_port}</port></node>
        <session_timeout_ms>30000</session_timeout_ms>
    </zookeeper>
    <keeper_map_path_prefix>{KEEPER_MAP_PREFIX}</keeper_map_path_prefix>
    <remote_servers replace="replace">
        <{SHARDED}>{sharded}</{SHARDED}>
        <{REPLICATED}><shard><internal_replication>true</internal_replication>{replicas}</shard></{REPLICATED}>
    </remote_servers>
    <macros>
        <shard>{node.shard}</shard>
        <replica>{node.name}</replica>
        <cluster>{SHARDED}</cluster>
    </macros>
</clickhouse>
"""


@attrs.define
class ClickHouseCluster:
    """ZooKeeper and :data:`NODE_COUNT` embedded nodes forming :data:`SHARDED` and :data:`REPLICATED`."""

    zookeeper: ZooKeeper
    nodes: list[ClusterNode]
    servers: dict[int, RunningServer] = attrs.field(factory=dict)
    sharded: str = SHARDED
    replicated: str = REPLICATED

    def node(self, number: int) -> ClusterNode:
        """Node ``number`` (1-based)."""
        return self.nodes[number - 1]

    def stop_node(self, number: int) -> None:
        """Stop one node (its ports stay reserved in the cluster's configuration)."""
        self.node(number).launcher().stop()
        self.servers.pop(number, None)

    def start_node(self, number: int) -> RunningServer:
        """Start one node (again), on its ports."""
        server = self.node(number).launcher().start()
        self.servers[number] = server
        return server

    def running(self, number: int) -> bool:
        """Whether node ``number`` answers."""
        return self.node(number).launcher().status().responding

    def stop(self) -> None:
        """Stop every node and ZooKeeper (errors of one do not keep the others running)."""
        errors: list[BaseException] = []
        for node in self.nodes:
            try:
                node.launcher().stop()
            except BaseException as exc:
                errors.append(exc)
        self.zookeeper.stop()
        if errors:
            raise errors[0]


def _distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def start_cluster(directory: Path) -> ClickHouseCluster:
    """Start ZooKeeper and the three nodes in ``directory``; every failure stops what started and raises."""
    zookeeper = start_zookeeper(directory / "zookeeper")
    cluster: ClickHouseCluster | None = None
    try:
        ports = _distinct_free_ports(2 * NODE_COUNT)
        nodes = [ClusterNode(number=i + 1, http_port=ports[2 * i], tcp_port=ports[2 * i + 1],
                             data_dir=directory / f"node{i + 1}") for i in range(NODE_COUNT)]
        cluster = ClickHouseCluster(zookeeper=zookeeper, nodes=nodes)
        for node in nodes:
            config_d = node.data_dir / "config.d"
            config_d.mkdir(parents=True, exist_ok=True)
            (config_d / "muskox-cluster.xml").write_text(render_node_config(node, nodes, zookeeper.port),
                                                         encoding="utf-8")
        for node in nodes:
            cluster.start_node(node.number)
    except BaseException:
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.stop()
        else:
            zookeeper.stop()
        raise
    return cluster


_CLUSTER = pytest.StashKey[ClickHouseCluster]()


def shared_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ClickHouseCluster:
    """The session's :class:`ClickHouseCluster`, started on first use and stopped when the session ends."""
    stash = request.config.stash
    if _CLUSTER not in stash:
        cluster = start_cluster(tmp_path_factory.mktemp("clickhouse-cluster"))
        stash[_CLUSTER] = cluster
        request.config.add_cleanup(cluster.stop)
    return stash[_CLUSTER]


@pytest.fixture
def clickhouse_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ClickHouseCluster:
    """ZooKeeper plus three embedded ClickHouse 26.9 nodes (``.nodes``, ``.node(2).http_url``, ``.sharded``,
    ``.replicated``, ``.stop_node(3)``/``.start_node(3)``), started once per session. Every node runs when a
    test starts (one a previous test stopped is started again). Tests create their own databases, with names
    unique to the test."""
    cluster = shared_cluster(request, tmp_path_factory)
    for node in cluster.nodes:
        if not cluster.running(node.number):
            cluster.start_node(node.number)
    return cluster
