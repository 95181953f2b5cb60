"""Statements that copy rows between tables (a version bump's backfill, the fix of a refused database move)."""

from __future__ import annotations

from collections.abc import Sequence

from muskox.plugin.dialect import TableName
from muskox_clickhouse.dialect.quoting import quote_identifier

__all__ = ["copy_rows_sql", "qualified"]


def qualified(table: TableName) -> str:
    """`` `db`.`name` ``."""
    return f"{quote_identifier(table.database)}.{quote_identifier(table.name)}"


def copy_rows_sql(source: TableName, target: TableName, columns: Sequence[str] | None = None) -> str:
    """``INSERT INTO target (c1, …) SELECT c1, … FROM source``; ``INSERT INTO target SELECT * FROM source``
    when ``columns`` is None."""
    if columns is None:
        return f"INSERT INTO {qualified(target)} SELECT * FROM {qualified(source)}"
    names = ", ".join(map(quote_identifier, columns))
    return f"INSERT INTO {qualified(target)} ({names}) SELECT {names} FROM {qualified(source)}"
