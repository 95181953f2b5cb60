"""The functions of Moose's Python API that write ClickHouse SQL text: the DDL helpers of ``moose_lib.blocks``
(Moose's first table API) and the ClickHouse type of a query parameter. They only build strings; nothing is run.

Their option arguments are the option classes of :mod:`muskox.declare.moose_blocks`, read by attribute.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MOOSE_API"]


def drop_table(name: str) -> str:
    """``DROP TABLE IF EXISTS name``."""
    return f"DROP TABLE IF EXISTS {name}"


def drop_view(name: str) -> str:
    """``DROP VIEW IF EXISTS name``."""
    return f"DROP VIEW IF EXISTS {name}"


def drop_aggregation(options: Any) -> list[str]:
    """Drop an aggregation's view, then its table."""
    return [drop_view(options.view_name), drop_table(options.table_name)]


def create_table(options: Any) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for the deprecated table options."""
    columns = ",\n  ".join(f"{name} {kind}" for name, kind in options.columns.items())
    engine = options.engine.value if options.engine else "MergeTree"
    order_by = f"\nORDER BY {options.order_by}" if options.order_by else ""
    return f"CREATE TABLE IF NOT EXISTS {options.name}\n(\n  {columns}\n)\nENGINE = {engine}(){order_by}"


def create_materialized_view(options: Any) -> str:
    """``CREATE MATERIALIZED VIEW IF NOT EXISTS name TO destination AS select``."""
    return (f"CREATE MATERIALIZED VIEW IF NOT EXISTS {options.name}\nTO {options.destination_table}\n"
            f"AS {options.select}")


def populate_table(options: Any) -> str:
    """``INSERT INTO destination select``."""
    return f"INSERT INTO {options.destination_table}\n{options.select}"


def create_aggregation(options: Any) -> list[str]:
    """The table, the materialized view into it, and the first fill."""
    from muskox.declare.moose_blocks import MaterializedViewCreateOptions, PopulateTableOptions

    table = options.table_create_options
    return [
        create_table(table),
        create_materialized_view(MaterializedViewCreateOptions(
            name=options.materialized_view_name, destination_table=table.name, select=options.select)),
        populate_table(PopulateTableOptions(destination_table=table.name, select=options.select)),
    ]


def clickhouse_param_type_for_value(value: Any) -> str:
    """The ClickHouse type of a query parameter holding ``value``."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, datetime.datetime):
        return "DateTime"
    if isinstance(value, datetime.date):
        return "Date"
    if isinstance(value, list | tuple):
        inner = clickhouse_param_type_for_value(value[0]) if value else "String"
        return f"Array({inner})"
    return "String"


MOOSE_API: Mapping[str, Callable[..., Any]] = {f.__name__: f for f in (
    drop_table, drop_view, drop_aggregation, create_table, create_materialized_view, populate_table,
    create_aggregation, clickhouse_param_type_for_value)}
"""Every function above, by the name Moose's API gives it."""
