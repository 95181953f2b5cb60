"""The cluster fixture itself: three real nodes sharing ZooKeeper, Distributed tables, clusterAllReplicas."""

from __future__ import annotations

import clickhouse_connect

from muskox_clickhouse.testing_cluster import ClickHouseCluster


def _client(cluster: ClickHouseCluster, number: int):  # type: ignore[no-untyped-def]
    node = cluster.node(number)
    return clickhouse_connect.get_client(host="127.0.0.1", port=node.http_port)


def test_nodes_form_the_clusters(clickhouse_cluster: ClickHouseCluster) -> None:
    client = _client(clickhouse_cluster, 1)
    rows = client.query("SELECT cluster, shard_num, replica_num, port FROM system.clusters "
                        "WHERE cluster IN ('muskox_test', 'muskox_replicas') ORDER BY cluster, shard_num, "
                        "replica_num").result_rows
    ports = [n.tcp_port for n in clickhouse_cluster.nodes]
    assert [r[3] for r in rows if r[0] == "muskox_test"] == ports
    assert [r[3] for r in rows if r[0] == "muskox_replicas"] == ports
    macros = {n: _client(clickhouse_cluster, n).query("SELECT getMacro('replica')").result_rows[0][0]
              for n in (1, 2, 3)}
    assert macros == {1: "node1", 2: "node2", 3: "node3"}


def test_distributed_and_all_replicas(clickhouse_cluster: ClickHouseCluster) -> None:
    for n in (1, 2, 3):
        c = _client(clickhouse_cluster, n)
        c.command("CREATE DATABASE IF NOT EXISTS fx_dist")
        c.command("CREATE TABLE IF NOT EXISTS fx_dist.local (id UInt64) ENGINE = MergeTree ORDER BY id")
    c1 = _client(clickhouse_cluster, 1)
    c1.command("CREATE TABLE IF NOT EXISTS fx_dist.dist AS fx_dist.local "
               "ENGINE = Distributed('muskox_test', 'fx_dist', 'local', id)")
    c1.command("INSERT INTO fx_dist.dist SETTINGS distributed_foreground_insert = 1 "
               "SELECT number FROM numbers(30)")
    assert c1.query("SELECT count() FROM fx_dist.dist").result_rows[0][0] == 30
    per_node = [_client(clickhouse_cluster, n).query("SELECT count() FROM fx_dist.local").result_rows[0][0]
                for n in (1, 2, 3)]
    assert sum(per_node) == 30 and all(per_node)
    rows = c1.query("SELECT tcpPort(), count() FROM clusterAllReplicas('muskox_test', system.columns) "
                    "WHERE database = 'fx_dist' GROUP BY 1 ORDER BY 1").result_rows
    assert sorted(r[0] for r in rows) == sorted(n.tcp_port for n in clickhouse_cluster.nodes)


def test_keeper_map_is_shared(clickhouse_cluster: ClickHouseCluster) -> None:
    for n in (1, 3):
        c = _client(clickhouse_cluster, n)
        c.command("CREATE DATABASE IF NOT EXISTS fx_km")
        c.command("CREATE TABLE IF NOT EXISTS fx_km.kv (k String, v String) ENGINE = KeeperMap('/fx_km') "
                  "PRIMARY KEY k")
    _client(clickhouse_cluster, 1).command("INSERT INTO fx_km.kv VALUES ('a', 'from node 1')")
    assert _client(clickhouse_cluster, 3).query("SELECT v FROM fx_km.kv").result_rows == [("from node 1",)]
