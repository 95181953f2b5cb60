"""ClickHouse's SQL dialect: lexing, canonical forms for comparison, quoting, type and engine text, conversions.

:class:`ClickHouseDialect` is what the core sees (:class:`muskox.plugin.dialect.Dialect`); the ClickHouse backend,
its DDL renderer and introspection use the modules of this package directly.
"""

from __future__ import annotations

from muskox_clickhouse.dialect.clickhouse_dialect import CANONICAL_VERSION, ClickHouseDialect

__all__ = ["CANONICAL_VERSION", "CLICKHOUSE", "ClickHouseDialect"]

CLICKHOUSE = ClickHouseDialect()
"""The one instance (dialects hold no state)."""
