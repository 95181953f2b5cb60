"""Clusters: ``[[clickhouse_config.clusters]]`` with ``ddl = "on_cluster"`` (the default) or ``"per_node"``.

* :mod:`.settings` — which cluster an operation belongs to and how its DDL reaches the nodes;
* :mod:`.statements` — ``ON CLUSTER`` statements for every operation kind, and the same operation for one node;
* :mod:`.nodes` — the nodes of a cluster (``system.clusters`` or ``nodes = [urls]``) and their URLs;
* :mod:`.applier` — applying an operation on every node (``per_node``) or once with ``ON CLUSTER``;
* :mod:`.schema_check` — the cluster's nodes compared with each other in one ``clusterAllReplicas`` query.
"""
