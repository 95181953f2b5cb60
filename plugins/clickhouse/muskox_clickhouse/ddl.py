"""ClickHouse DDL text for the schema model: pure functions, model values in, SQL text out.

Every identifier (database, table, column, index, projection, engine column parameter) goes through
:func:`muskox_clickhouse.dialect.quoting.quote_identifier` and every string literal through
:func:`muskox_clickhouse.dialect.quoting.quote_string`;
expressions (defaults, keys, TTLs, index expressions, view queries) are the user's SQL and are emitted as
written. Statements carry no trailing semicolon.

Run every statement with the session settings :data:`DDL_SETTINGS`: ``flatten_nested = 0`` keeps a
``Nested(...)`` column one column (``system.columns`` then reports it as ``Nested(a T, …)``) instead of
splitting it into ``n.a Array(T)``, … columns.

The pieces (:func:`render_column`, :func:`render_index`, :func:`render_projection`, :func:`render_settings`,
:func:`qualified_name`) are public so that ALTER statements can reuse them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from muskox.model.engines import is_merge_tree
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column, Table, TableConstraint, TableIndex, TableProjection
from muskox.model.types import LowCardinality, Nullable
from muskox_clickhouse.dialect.engine_sql import render_engine
from muskox_clickhouse.dialect.normalize import nullable_allowed
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.type_text import render_type

__all__ = [
    "DDL_SETTINGS",
    "column_type",
    "qualified_name",
    "render_codec",
    "render_column",
    "render_create_materialized_view",
    "render_create_table",
    "render_create_view",
    "render_drop_table",
    "render_drop_view",
    "render_engine",
    "render_index",
    "render_projection",
    "render_setting_value",
    "render_settings",
]

#: Session settings for every DDL statement muskox sends (keeps Nested columns whole).
DDL_SETTINGS: Mapping[str, int] = {"flatten_nested": 0}

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def qualified_name(name: str, database: str) -> str:
    """```database`.`name```."""
    return f"{quote_identifier(database)}.{quote_identifier(name)}"


def _on_cluster(cluster: str | None) -> str:
    return f" ON CLUSTER {quote_identifier(cluster)}" if cluster else ""


# -- columns --------------------------------------------------------------------------------------------


def column_type(column: Column) -> str:
    """The column's ClickHouse type: ``Nullable(T)`` when nullable (``LowCardinality(Nullable(T))`` for a
    low-cardinality type); types ClickHouse cannot make nullable (arrays, maps, Nested, JSON) stay as they are."""
    data_type = column.data_type
    if column.nullable and nullable_allowed(data_type):
        if isinstance(data_type, LowCardinality):
            data_type = LowCardinality(Nullable(data_type.inner))
        else:
            data_type = Nullable(data_type)
    return render_type(data_type)


def render_codec(codec: str) -> str:
    """``CODEC(…)`` for a codec list written with or without its ``CODEC(…)`` wrapper."""
    text = codec.strip()
    return text if text.upper().startswith("CODEC(") else f"CODEC({text})"


def render_column(column: Column) -> str:
    """A column definition: ```name` Type [DEFAULT|MATERIALIZED|ALIAS expr] [COMMENT '…'] [CODEC(…)] [TTL expr]``."""
    parts = [quote_identifier(column.name), column_type(column)]
    for keyword, expression in (("DEFAULT", column.default), ("MATERIALIZED", column.materialized),
                                ("ALIAS", column.alias)):
        if expression is not None:
            parts.append(f"{keyword} {expression}")
    if column.comment:
        parts.append(f"COMMENT {quote_string(column.comment)}")
    if column.codec:
        parts.append(render_codec(column.codec))
    if column.ttl:
        parts.append(f"TTL {column.ttl}")
    return " ".join(parts)


def render_constraint(constraint: TableConstraint) -> str:
    """``CONSTRAINT name CHECK expression`` (or ``ASSUME``)."""
    return f"CONSTRAINT {quote_identifier(constraint.name)} {constraint.type.upper()} {constraint.expression}"


def render_index(index: TableIndex) -> str:
    """``INDEX `name` expr TYPE type[(args)] GRANULARITY n``."""
    index_type = index.type + (f"({', '.join(index.arguments)})" if index.arguments else "")
    return f"INDEX {quote_identifier(index.name)} {index.expression} TYPE {index_type} GRANULARITY {index.granularity}"


def render_projection(projection: TableProjection) -> str:
    """``PROJECTION `name` (body)``."""
    return f"PROJECTION {quote_identifier(projection.name)} ({projection.body})"


# -- engine and settings --------------------------------------------------------------------------------


def render_setting_value(value: str) -> str:
    """A setting's value: numbers and ``true``/``false`` bare, a quoted literal as written, text quoted."""
    text = str(value).strip()
    if _NUMBER.fullmatch(text) or text.lower() in ("true", "false"):
        return text
    if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
        return text
    return quote_string(str(value))


def render_settings(settings: Mapping[str, str]) -> str:
    """``k = v, …`` (keys in the given order). Raises ValueError for a key that is not a setting name."""
    for key in settings:
        if not _PLAIN.fullmatch(key):
            raise ValueError(f"{key!r} is not a ClickHouse setting name")
    return ", ".join(f"{key} = {render_setting_value(value)}" for key, value in settings.items())


# -- tables ---------------------------------------------------------------------------------------------


def _primary_key(table: Table) -> str | None:
    """Only an explicit ``primary_key_expression`` makes a PRIMARY KEY clause (Key[...] flags feed ORDER BY)."""
    return table.primary_key_expression or None


def _order_by(table: Table, primary_key: str | None) -> str | None:
    if isinstance(table.order_by, str):
        return table.order_by
    if table.order_by:
        return "(" + ", ".join(map(quote_identifier, table.order_by)) + ")"
    if not is_merge_tree(table.engine) or primary_key is not None:
        return None  # not sortable, or a MergeTree with only PRIMARY KEY, which sorts by it
    flagged = [quote_identifier(c.name) for c in table.columns if c.primary_key]
    return "(" + ", ".join(flagged) + ")" if flagged else "tuple()"


def render_create_table(table: Table, *, default_database: str) -> str:
    """``CREATE TABLE IF NOT EXISTS db.t [ON CLUSTER c] (columns, INDEX …, PROJECTION …) ENGINE = …
    [PARTITION BY] [PRIMARY KEY] [ORDER BY] [SAMPLE BY] [TTL] [SETTINGS]``.

    :param default_database: the database of a table whose ``database`` is None.
    """
    elements = [render_column(c) for c in table.columns]
    elements += [render_index(i) for i in table.indexes]
    elements += [render_projection(p) for p in table.projections]
    elements += [render_constraint(c) for c in table.constraints]
    primary_key = _primary_key(table)
    order_by = _order_by(table, primary_key)
    clauses = [f"ENGINE = {render_engine(table.engine)}"]
    for keyword, value in (("PARTITION BY", table.partition_by), ("PRIMARY KEY", primary_key),
                           ("ORDER BY", order_by), ("SAMPLE BY", table.sample_by), ("TTL", table.ttl)):
        if value:
            clauses.append(f"{keyword} {value}")
    if table.settings:
        clauses.append(f"SETTINGS {render_settings(table.settings)}")
    name = qualified_name(table.name, table.database or default_database)
    return (f"CREATE TABLE IF NOT EXISTS {name}{_on_cluster(table.cluster)} ({', '.join(elements)}) "
            + " ".join(clauses))


def render_drop_table(name: str, *, database: str, cluster: str | None = None) -> str:
    """``DROP TABLE IF EXISTS db.t`` (``ON CLUSTER c SYNC`` with a cluster)."""
    suffix = f"{_on_cluster(cluster)} SYNC" if cluster else ""
    return f"DROP TABLE IF EXISTS {qualified_name(name, database)}{suffix}"


# -- views ----------------------------------------------------------------------------------------------


def render_create_view(view: View, *, default_database: str) -> str:
    """``CREATE VIEW IF NOT EXISTS db.v AS select``.

    ClickHouse resolves unqualified table names in the query against the session's current database when it
    creates the view: run it with the view's database current, or qualify the names.
    """
    name = qualified_name(view.name, view.database or default_database)
    return f"CREATE VIEW IF NOT EXISTS {name} AS {view.select_sql}"


def render_create_materialized_view(view: MaterializedView, *, default_database: str) -> str:
    """``CREATE MATERIALIZED VIEW IF NOT EXISTS db.mv TO db.target AS select`` (same name resolution as views)."""
    name = qualified_name(view.name, view.database or default_database)
    target = qualified_name(view.target_table, view.target_database or default_database)
    return f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} TO {target} AS {view.select_sql}"


def render_drop_view(name: str, *, database: str) -> str:
    """``DROP VIEW IF EXISTS db.v`` (for views and materialized views)."""
    return f"DROP VIEW IF EXISTS {qualified_name(name, database)}"
