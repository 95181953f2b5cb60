"""The statements of ``RecreateTableWithCopy``: a table ALTER cannot change, recreated with its rows.

::

    DROP TABLE IF EXISTS db.`t__muskox_copy`                -- what an earlier, interrupted run left
    CREATE TABLE db.`t__muskox_copy` (the new definition)
    INSERT INTO db.`t__muskox_copy` (c1, …) SELECT CAST(c1 AS T1), … FROM db.t
    SELECT throwIf(count of the copy != count of db.t)      -- nothing is swapped when rows are missing
    EXCHANGE TABLES db.t AND db.`t__muskox_copy`            -- atomic: readers see the old or the new table
    DROP TABLE IF EXISTS db.`t__muskox_copy`                -- the old table

Until the ``EXCHANGE`` the table is untouched, so running the operation again after a failure starts over from a
fresh copy; after it, running it again copies the new table into itself (the conversions are idempotent). Columns
only the new table has get their defaults; columns only the old one has are not copied (their values are lost, and
the plan says so), nor are columns of a type that does not convert (:func:`copies`). A NULL in a column that stops
being Nullable becomes the column's declared default, else the type's default value. A composite type the server
cannot convert in place (an unnamed ``Tuple`` gaining or losing elements, also inside an ``Array``, ``Map`` or named
tuple) is rebuilt element by element (:func:`muskox_clickhouse.dialect.type_conversions.conversion_sql`: new
elements get their type's default, and the expression is the identity on values already converted). Rows written to
the table between the copy and the swap make the counts differ: pause writers for the duration (it is a full copy of
the table).
"""

from __future__ import annotations

import attrs

from muskox.model.operations import RecreateTableWithCopy
from muskox.model.table import Column, Table
from muskox_clickhouse.ddl import column_type, qualified_name, render_create_table, render_drop_table
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.type_conversions import conversion_sql, convertible

__all__ = ["COPY_SUFFIX", "copies", "copy_expression", "recreate_with_copy_sql"]

COPY_SUFFIX = "__muskox_copy"
"""Appended to a table's name for the copy it is recreated in."""


def copy_expression(before: Column, after: Column) -> str:
    """The SELECT expression turning the stored value of ``before`` into a value of ``after``."""
    name = quote_identifier(before.name)
    if (before.data_type, before.nullable) == (after.data_type, after.nullable):
        return name
    if not convertible(before.data_type, after.data_type):
        rebuilt = conversion_sql(before.data_type, after.data_type, name)
        if rebuilt is not None:  # an unnamed tuple that grows, …: rebuilt element by element
            return rebuilt
    value = name
    if before.nullable and not after.nullable:
        fallback = after.default or f"defaultValueOfTypeName({quote_string(column_type(after))})"
        value = f"ifNull({name}, {fallback})"
    return f"CAST({value} AS {column_type(after)})"


def copies(before: Column, after: Column) -> bool:
    """Whether the copy carries the values of ``before`` into ``after`` (else ``after`` gets its default: a type
    neither the server nor :func:`conversion_sql` converts, e.g. ``String`` to ``Array(String)``)."""
    return (convertible(before.data_type, after.data_type)
            or conversion_sql(before.data_type, after.data_type, "v") is not None)


def _stored(column: Column) -> bool:
    return column.materialized is None and column.alias is None


def recreate_with_copy_sql(operation: RecreateTableWithCopy, default_database: str) -> list[str]:
    """The statements of ``operation``, in order (see the module)."""
    after: Table = operation.table
    database = after.database or operation.before.database or default_database
    copy_name = after.name + COPY_SUFFIX
    real, copy = qualified_name(after.name, database), qualified_name(copy_name, database)
    cluster = after.cluster
    on_cluster = f" ON CLUSTER {quote_identifier(cluster)}" if cluster else ""
    pairs = [(operation.before.column(c.name), c) for c in after.columns if _stored(c)]
    shared = [(old, new) for old, new in pairs if old is not None and copies(old, new)]
    names = ", ".join(quote_identifier(new.name) for _, new in shared)
    values = ", ".join(copy_expression(old, new) for old, new in shared)
    create = render_create_table(attrs.evolve(after, name=copy_name, database=database, version=None),
                                 default_database=default_database)
    message = quote_string(f"muskox: the copy of {database}.{after.name} does not have as many rows as the table "
                           f"(rows written during the copy?): nothing was swapped")
    insert = [f"INSERT INTO {copy} ({names}) SELECT {values} FROM {real}"] if shared else []
    return [
        render_drop_table(copy_name, database=database, cluster=cluster),
        create,
        *insert,
        f"SELECT throwIf((SELECT count() FROM {copy}) != (SELECT count() FROM {real}), {message})",
        f"EXCHANGE TABLES {real} AND {copy}{on_cluster}",
        render_drop_table(copy_name, database=database, cluster=cluster),
    ]
