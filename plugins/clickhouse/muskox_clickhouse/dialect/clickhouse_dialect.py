""":class:`ClickHouseDialect`: the :class:`muskox.plugin.dialect.Dialect` of ClickHouse, wired to the modules of this
package (each has one job: quoting, type text, engine text, normalization, conversions, table rules, data copy)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.engines import Engine, IntegrationEngine
from muskox.model.operations import Operation
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column, Table
from muskox.model.types import DataType
from muskox.plugin.dialect import Dialect, PlannedStatement, TableName
from muskox_clickhouse.dialect import (
    data_copy,
    identifiers,
    normalize,
    quoting,
    table_rules,
    type_conversions,
    type_text,
)
from muskox_clickhouse.dialect.engine_sql import render_engine

__all__ = ["CANONICAL_VERSION", "CLICKHOUSE", "ClickHouseDialect"]

CANONICAL_VERSION = 1
"""The version of what :mod:`muskox_clickhouse.dialect.normalize` produces; raise it when a rule there changes."""


class ClickHouseDialect(Dialect):
    """ClickHouse 26.x SQL: back-quoted identifiers, ``system.columns`` type text, the server's reformatting."""

    name: ClassVar[str] = "clickhouse"
    canonical_version: ClassVar[int] = CANONICAL_VERSION
    readonly_settings: ClassVar[frozenset[str]] = table_rules.READONLY_SETTINGS
    ignorable_operations: ClassVar[frozenset[str]] = normalize.IGNORABLE_OPERATIONS

    def quote_identifier(self, name: str) -> str:
        """`` `name` `` (backslash-escaped)."""
        return quoting.quote_identifier(name)

    def quote_string(self, value: str) -> str:
        """``'value'`` (backslash-escaped)."""
        return quoting.quote_string(value)

    def referenced_name(self, reference: str) -> str:
        """The last part of ``"`db`.`events`"``, ``"db.events"`` or ``"events"``."""
        return quoting.referenced_name(reference)

    def render_type(self, data_type: DataType) -> str:
        """The type as ``system.columns`` prints it."""
        return type_text.render_type(data_type)

    def render_column_type(self, column: Column) -> str:
        """``Nullable(T)`` for a nullable column (as it is created), else the type."""
        from muskox_clickhouse.ddl import column_type

        return column_type(column)

    def engine_dependencies(self, table: Table) -> frozenset[str]:
        """The target table of a ``Distributed`` or ``Buffer`` table (:mod:`muskox_clickhouse.dialect.engine_deps`)."""
        from muskox_clickhouse.dialect.engine_deps import engine_dependencies

        return engine_dependencies(table)

    def statements(self, operation: Operation, default_database: str) -> list[PlannedStatement]:
        """See :func:`muskox_clickhouse.alter.planned_statements`."""
        from muskox_clickhouse.alter import planned_statements

        return planned_statements(operation, default_database)

    def parse_type(self, text: str) -> DataType:
        """ClickHouse type syntax, as in ``system.columns.type`` or a CREATE statement."""
        return type_text.parse_type(text)

    def render_engine(self, engine: Engine) -> str:
        """What follows ``ENGINE =``, for people: credentials as ``[HIDDEN]``."""
        return render_engine(engine.masked() if isinstance(engine, IntegrationEngine) else engine)

    def normalize_table(self, table: Table, *, default_database: str | None = None,
                        ignore_operations: Collection[str] = frozenset()) -> Table:
        """See :func:`muskox_clickhouse.dialect.normalize.normalize_table`."""
        return normalize.normalize_table(table, default_database=default_database,
                                         ignore_operations=ignore_operations)

    def normalize_view(self, view: View, *, default_database: str) -> View:
        """See :func:`muskox_clickhouse.dialect.normalize.normalize_view`."""
        return normalize.normalize_view(view, default_database=default_database)

    def normalize_materialized_view(self, view: MaterializedView, *, default_database: str) -> MaterializedView:
        """See :func:`muskox_clickhouse.dialect.normalize.normalize_materialized_view`."""
        return normalize.normalize_materialized_view(view, default_database=default_database)

    def normalize_dictionary(self, dictionary: Dictionary, *, default_database: str) -> Dictionary:
        """See :func:`muskox_clickhouse.dictionary_sql.normalize_dictionary`."""
        from muskox_clickhouse.dictionary_sql import normalize_dictionary

        return normalize_dictionary(dictionary, default_database)

    def describe_dictionary(self, dictionary: Dictionary) -> Dictionary:
        """The server's ``CREATE DICTIONARY`` read back into Moose's encoding
        (:func:`muskox_clickhouse.dictionary_parse.encoding_from_sql`); unchanged when it is not readable."""
        from muskox_clickhouse.dictionary_parse import encoding_from_sql

        found = encoding_from_sql(dictionary.server_sql) if dictionary.server_sql is not None else None
        if found is None:
            return dictionary
        encoding = {**dictionary.encoding, **found, "name": dictionary.name, "database": dictionary.database}
        return attrs.evolve(dictionary, definition=json.dumps(encoding, sort_keys=True, separators=(",", ":"),
                                                              ensure_ascii=False))

    def recreate_reason(self, before: Table, after: Table) -> str | None:
        """Keys, partitioning, engine and read-only settings cannot be altered; Kafka and S3Queue tables not at
        all."""
        return table_rules.recreate_reason(before, after)

    def can_copy_rows(self, before: Table, after: Table) -> bool:
        """MergeTree-family tables whose shared columns convert (see
        :func:`muskox_clickhouse.dialect.table_rules.can_copy_rows`)."""
        return table_rules.can_copy_rows(before, after)

    def identifiers(self, expression: str) -> frozenset[str]:
        """See :func:`muskox_clickhouse.dialect.identifiers.identifiers`."""
        return identifiers.identifiers(expression)

    def convertible(self, before: DataType, after: DataType) -> bool:
        """Whether ``MODIFY COLUMN`` from ``before`` to ``after`` can succeed for some data."""
        return type_conversions.convertible(before, after)

    def widens(self, before: DataType, after: DataType) -> bool:
        """Whether ClickHouse converts ``before`` to ``after`` without losing any value."""
        return type_conversions.is_widening(before, after)

    def copy_rows_sql(self, source: TableName, target: TableName, columns: Sequence[str] | None = None) -> str:
        """``INSERT INTO target (…) SELECT … FROM source``."""
        return data_copy.copy_rows_sql(source, target, columns)

    def aggregate_query_sql(self, function: str, column: str, source: str) -> str:
        """``SELECT function(column) FROM source``."""
        return f"SELECT {function}({column}) FROM {source}"

    def moose_api(self) -> Mapping[str, Callable[..., Any]]:
        """``moose_lib.blocks``' DDL helpers and ``clickhouse_param_type_for_value``."""
        from muskox_clickhouse.dialect.moose_api import MOOSE_API

        return MOOSE_API


CLICKHOUSE = ClickHouseDialect()
"""The one instance (dialects hold no state)."""
