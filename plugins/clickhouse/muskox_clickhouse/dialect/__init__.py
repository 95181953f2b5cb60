"""ClickHouse's SQL dialect: lexing, canonical forms for comparison, quoting, type and engine text, conversions.

:class:`ClickHouseDialect` is what the core sees (:class:`muskox.plugin.dialect.Dialect`); the ClickHouse backend,
its DDL renderer and introspection use the modules of this package directly. The package exports its names on
first use, so importing one of its small modules (``quoting``) does not load the canonicalizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from muskox.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from muskox_clickhouse.dialect.clickhouse_dialect import CANONICAL_VERSION, CLICKHOUSE, ClickHouseDialect

__all__ = ["CANONICAL_VERSION", "CLICKHOUSE", "ClickHouseDialect"]

__getattr__ = lazy_getattr(__name__, dict.fromkeys(__all__, "muskox_clickhouse.dialect.clickhouse_dialect"))
