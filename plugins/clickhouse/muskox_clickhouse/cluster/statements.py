"""The statements of an operation ``ON CLUSTER`` (every kind ClickHouse accepts it for), and the same operation
for one node (no ``ON CLUSTER``): pure functions over :mod:`muskox_clickhouse.alter`'s rendering."""

from __future__ import annotations

import attrs

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
from muskox_clickhouse.alter import Statement, render_statements
from muskox_clickhouse.ddl import qualified_name
from muskox_clickhouse.dialect.quoting import quote_identifier

__all__ = ["create_database_statement", "for_node", "on_cluster", "on_cluster_statements"]


def on_cluster(cluster: str) -> str:
    """`` ON CLUSTER `c` ``."""
    return f" ON CLUSTER {quote_identifier(cluster)}"


def for_node(operation: Operation) -> Operation:
    """``operation`` without its cluster: what one node runs in ``per_node`` mode."""
    match operation:
        case CreateTable(table=table) if table.cluster is not None:
            return attrs.evolve(operation, table=attrs.evolve(table, cluster=None))
        case TableOperation(cluster_name=cluster) if cluster is not None:
            return attrs.evolve(operation, cluster_name=None)
    return _dictionary_on(operation, None)


def _dictionary_on(operation: Operation, cluster: str | None) -> Operation:
    """A dictionary operation carrying ``cluster`` (None: none); any other operation unchanged."""
    match operation:
        case CreateDictionary(dictionary=dictionary):
            return attrs.evolve(operation, dictionary=attrs.evolve(dictionary, cluster=cluster))
        case ReplaceDictionary(before=before, after=after):
            return attrs.evolve(operation, before=attrs.evolve(before, cluster=cluster),
                                after=attrs.evolve(after, cluster=cluster))
        case DropDictionary():
            return attrs.evolve(operation, cluster_name=cluster)
    return operation


def with_cluster(operation: Operation, cluster: str) -> Operation:
    """A table or dictionary operation carrying ``cluster`` (its statements then say ``ON CLUSTER``)."""
    match operation:
        case CreateTable(table=table):
            return attrs.evolve(operation, table=attrs.evolve(table, cluster=cluster))
        case TableOperation():
            return attrs.evolve(operation, cluster_name=cluster)
    return _dictionary_on(operation, cluster)


def create_database_statement(database: str, cluster: str | None) -> str:
    """``CREATE DATABASE IF NOT EXISTS `db` [ON CLUSTER `c`]``."""
    return f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}" + (on_cluster(cluster) if cluster else "")


def _view_statements(operation: Operation, default_database: str, cluster: str) -> list[Statement] | None:
    match operation:
        case CreateView(name=name, select_sql=select_sql, database=database):
            db = database or default_database
            return [Statement(f"CREATE VIEW IF NOT EXISTS {qualified_name(name, db)}{on_cluster(cluster)} "
                              f"AS {select_sql}", session_database=db)]
        case CreateMaterializedView(name=name, select_sql=select_sql, database=database):
            db = database or default_database
            target = qualified_name(operation.target_table, operation.target_database or default_database)
            return [Statement(f"CREATE MATERIALIZED VIEW IF NOT EXISTS {qualified_name(name, db)}"
                              f"{on_cluster(cluster)} TO {target} AS {select_sql}", session_database=db)]
        case DropView(name=name, database=database) | DropMaterializedView(name=name, database=database):
            db = database or default_database
            return [Statement(f"DROP VIEW IF EXISTS {qualified_name(name, db)}{on_cluster(cluster)} SYNC")]
    return None


def on_cluster_statements(operation: Operation, default_database: str, cluster: str) -> list[Statement]:
    """``operation``'s statements with ``ON CLUSTER cluster``: tables, columns, indexes, projections, settings,
    TTLs and dictionaries (create, replace, drop) through :func:`muskox_clickhouse.alter.render_statements`;
    views and materialized views here. Raw SQL runs as written."""
    views = _view_statements(operation, default_database, cluster)
    if views is not None:
        return views
    return render_statements(with_cluster(operation, cluster), default_database)
