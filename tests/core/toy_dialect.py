"""A toy OLAP backend and its dialect, written against the core alone (no ClickHouse anywhere).

Its rules differ from ClickHouse's on purpose, so a test passing with it shows the core took them from the
dialect: identifiers are ``[bracketed]``, strings ``"double-quoted"``, types are lower case with suffixes
(``int64[]``, ``string?``, ``dict<string>``, ``timestamp in "UTC"``), expressions compare ignoring case and white
space, a changed sort key recreates a table, only integers widen into each other, and rows are copied with
``COPY … FROM …``. The backend keeps its schema in memory and applies operations by folding them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Sequence
from typing import ClassVar, Self

import attrs

from muskox.config import Config
from muskox.model.engines import Engine, engine_name
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation, RawSql
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Table
from muskox.model.types import (
    Array,
    DataType,
    DateTime,
    Decimal,
    LowCardinality,
    Nullable,
    Simple,
    TypeSyntaxError,
)
from muskox.plan.fold import apply
from muskox.plugin.dialect import Dialect, TableName
from muskox.plugin.interfaces import OlapBackend

_SIMPLE = {name.lower(): name for name in ("String", "Bool", "Int32", "Int64", "UInt8", "Float64", "Date32")}
_INTEGERS = ("Int32", "Int64")
_DECIMAL = re.compile(r"^decimal<(\d+),(\d+)>$")
_TIMESTAMP = re.compile(r'^timestamp(?: in "((?:[^"]|"")*)")?$')


def _expression(text: str | None) -> str | None:
    """The toy's canonical expression: lower case, single spaces."""
    return None if text is None or not text.strip() else " ".join(text.split()).lower()


class ToyDialect(Dialect):
    """The toy database's SQL."""

    name: ClassVar[str] = "toy"
    canonical_version: ClassVar[int] = 7
    readonly_settings: ClassVar[frozenset[str]] = frozenset({"block_size"})
    ignorable_operations: ClassVar[frozenset[str]] = frozenset({"ModifyTableTtl"})

    def quote_identifier(self, name: str) -> str:
        return "[" + name.replace("]", "]]") + "]"

    def quote_string(self, value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    def referenced_name(self, reference: str) -> str:
        parts = re.findall(r"\[((?:[^\]]|\]\])*)\]|([^.\s\[\]]+)", reference)
        bracketed, bare = parts[-1]
        return bracketed.replace("]]", "]") if bracketed else bare

    def render_type(self, data_type: DataType) -> str:
        match data_type:
            case Simple(name) if name.lower() in _SIMPLE:
                return name.lower()
            case Nullable(inner):
                return self.render_type(inner) + "?"
            case Array(element):
                return self.render_type(element) + "[]"
            case LowCardinality(inner):
                return f"dict<{self.render_type(inner)}>"
            case DateTime(None):
                return "timestamp"
            case DateTime(timezone):
                return f"timestamp in {self.quote_string(timezone or '')}"
            case Decimal(precision, scale):
                return f"decimal<{precision},{scale}>"
        raise TypeSyntaxError(f"the toy database has no type {data_type!r}", "use another type")

    def parse_type(self, text: str) -> DataType:
        text = text.strip()
        if text.endswith("?"):
            return Nullable(self.parse_type(text[:-1]))
        if text.endswith("[]"):
            return Array(self.parse_type(text[:-2]))
        if text.startswith("dict<") and text.endswith(">"):
            return LowCardinality(self.parse_type(text[5:-1]))
        if (match := _TIMESTAMP.match(text)) is not None:
            zone = match.group(1)
            return DateTime(None if zone is None else zone.replace('""', '"'))
        if (match := _DECIMAL.match(text)) is not None:
            return Decimal(int(match.group(1)), int(match.group(2)))
        if text in _SIMPLE:
            return Simple(_SIMPLE[text])
        raise TypeSyntaxError(f"{text!r} is not a toy type", "write a toy type, e.g. int64[]")

    def render_engine(self, engine: Engine) -> str:
        return engine_name(engine).lower()

    def normalize_table(self, table: Table, *, default_database: str | None = None,
                        ignore_operations: Collection[str] = frozenset()) -> Table:
        unknown = set(ignore_operations) - self.ignorable_operations
        if unknown:
            raise ValueError(f"unknown ignore_operations value(s): {', '.join(sorted(unknown))}")
        columns = tuple(attrs.evolve(c, primary_key=False, default=_expression(c.default), comment=c.comment or None)
                        for c in table.columns)
        return attrs.evolve(
            table, database=table.database or default_database, columns=columns,
            order_by=_expression(table.order_by) if isinstance(table.order_by, str) else table.order_by,
            ttl=None if "ModifyTableTtl" in ignore_operations else _expression(table.ttl),
            partition_by=_expression(table.partition_by), settings=dict(sorted(table.settings.items())),
            metadata=None)

    def normalize_view(self, view: View, *, default_database: str) -> View:
        return attrs.evolve(view, database=view.database or default_database, select_sql=_expression(view.select_sql),
                            source_tables=(), metadata=None)

    def normalize_materialized_view(self, view: MaterializedView, *, default_database: str) -> MaterializedView:
        return attrs.evolve(view, database=view.database or default_database,
                            target_database=view.target_database or default_database,
                            select_sql=_expression(view.select_sql), source_tables=(), metadata=None)

    def recreate_reason(self, before: Table, after: Table) -> str | None:
        if before.order_by != after.order_by:
            return "sort key changed"
        if before.engine != after.engine:
            return f"storage changed ({self.render_engine(before.engine)} to {self.render_engine(after.engine)})"
        changed = sorted(k for k in self.readonly_settings if before.settings.get(k) != after.settings.get(k))
        return f"fixed setting(s) changed: {', '.join(changed)}" if changed else None

    def convertible(self, before: DataType, after: DataType) -> bool:
        return before == after or (before in map(Simple, _INTEGERS) and after in map(Simple, _INTEGERS))

    def widens(self, before: DataType, after: DataType) -> bool:
        return (before, after) == (Simple("Int32"), Simple("Int64"))

    def identifiers(self, expression: str) -> frozenset[str]:
        """Bracketed names, and bare words not followed by ``(`` (a function); no keywords to skip."""
        found = re.findall(r"\[((?:[^\]]|\]\])*)\]|([A-Za-z_]\w*)\b(?!\s*\()", expression)
        return frozenset(bracketed.replace("]]", "]") or bare for bracketed, bare in found)

    def copy_rows_sql(self, source: TableName, target: TableName, columns: Sequence[str] | None = None) -> str:
        def address(table: TableName) -> str:
            return self.qualified_name(table.database, table.name)

        listed = "" if columns is None else " (" + ", ".join(map(self.quote_identifier, columns)) + ")"
        return f"COPY {address(target)}{listed} FROM {address(source)}"


TOY = ToyDialect()


class ToyBackend(OlapBackend):
    """An in-memory toy database: ``introspect`` returns its schema, ``apply`` folds operations into it and keeps
    the statements of ``RawSql`` operations it was asked to run."""

    description: ClassVar[str] = "a toy database in memory"

    def __init__(self, schema: InfraMap) -> None:
        self.schema = schema
        self.statements: list[str] = []
        self._mutex = threading.Lock()  # the executor applies independent operations from several threads

    @classmethod
    def dialect(cls) -> Dialect:
        return TOY

    @classmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        return cls(InfraMap(default_database=config.clickhouse_config.db_name))

    @property
    def database(self) -> str:
        return self.schema.default_database

    def server_version(self) -> str:
        return "toy-1"

    def introspect(self) -> InfraMap:
        return self.schema

    def apply(self, operation: Operation) -> None:
        with self._mutex:
            if isinstance(operation, RawSql):
                self.statements += operation.sql
            self.schema = apply(self.schema, operation)

    def close(self) -> None:
        """Nothing to close."""
