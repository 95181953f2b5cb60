"""Read what a ClickHouse server holds into an :class:`muskox.model.InfraMap`, in a constant number of queries.

Four queries, whatever the number of tables: ``system.projections``, ``system.tables`` (engine,
``create_table_query``, ``engine_full``, sorting key), ``system.columns`` (types, defaults, comments, codecs,
key membership) and ``system.data_skipping_indices`` (explicit indexes only). The statements give what the system
tables do not: engine parameters, table and column TTLs, the SETTINGS clause, an explicit PRIMARY KEY, a view's
query and a materialized view's ``TO`` target (see :mod:`muskox_clickhouse.create_parser`). A table's clauses are
read from the short ``engine_full``; its whole statement is parsed only when a column may carry a TTL. On one
connection, the statements are parsed in a worker thread while the columns and indexes are being fetched. Given
more connections (as :meth:`muskox_clickhouse.backend.ClickHouseBackend.prefetch` does), the other queries run
beside the tables query, and with a third one the tables query is sent as two halves (five queries in all,
still whatever the number of tables) that the server answers in parallel.

Costs on the embedded ClickHouse 26.9: for 2,000 tables of 10 columns about 0.8 s in all, of which about 0.4 s
is the server producing ``create_table_query``/``engine_full`` (a per-table cost no query shape avoids).

The values are the server's own text; comparing them with declarations is the job of
:mod:`muskox_clickhouse.dialect.normalize`.
Internal tables (names starting with ``.``, such as a materialized view's ``.inner_id.…`` table, and Moose's
``_MOOSE_STATE``) are skipped, as are dictionaries, materialized views without ``TO`` (muskox does not model
inner-engine views) and ``EPHEMERAL`` column expressions. A database that does not exist contributes nothing.
"""

from __future__ import annotations

import concurrent.futures
import functools
import re
from collections.abc import Sequence
from typing import Any

from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column, Table, TableConstraint, TableIndex, TableProjection
from muskox.model.types import DataType, LowCardinality, Nullable, Raw, TypeSyntaxError
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.create_parser import ParsedCreate, parse_create, parse_engine, parse_engine_full
from muskox_clickhouse.dialect.sql_lexer import matching_close, source_text, split_top_level, tokenize
from muskox_clickhouse.dialect.type_text import parse_type
from muskox_clickhouse.schema_rows import (
    COLUMNS,
    FetchedRows,
    Key,
    OtherRows,
    Rows,
    group,
    in_list,
    index_rows,
    other_rows,
    projection_rows,
    table_rows,
)

__all__ = ["STATE_TABLE", "introspect", "is_internal_table", "split_nullable"]

#: Moose's state table (KeeperMap), never part of the schema.
STATE_TABLE = "_MOOSE_STATE"

_VIEW_ENGINES = ("View", "MaterializedView")
_SKIPPED_ENGINES = ("Dictionary", "LiveView", "WindowView")


def is_internal_table(name: str) -> bool:
    """True for tables muskox never reports: ``.inner…`` tables (any name starting with ``.``) and ``_MOOSE_STATE``."""
    return name.startswith(".") or name == STATE_TABLE


def introspect(client: ClickHouseClient, databases: Sequence[str], default_database: str, *,
               side: ClickHouseClient | None = None, half: ClickHouseClient | None = None) -> InfraMap:
    """The tables, views and materialized views of ``databases`` as the server reports them.

    :param databases: the databases to read (missing ones are simply empty).
    :param default_database: the resulting map's ``default_database`` (ids are ``<database>_<name>``).
    :param side: a second connection: the column, index and projection queries then run on it while ``client``
        runs the tables query (the server's slowest answer: it formats every table's statement), in parallel.
    :param half: with ``side``, a third connection: the tables query is split in two halves (by a hash of the
        table name), one on each of ``client`` and ``half``, which the server answers in parallel.
    """
    if not databases:
        return InfraMap(default_database=default_database)
    listed = in_list(databases)
    if side is not None:
        def others_and_columns() -> tuple[OtherRows, dict[Key, tuple[Column, ...]]]:
            others = other_rows(side, listed)
            return others, plain_columns_of(others)  # built while the server still formats the statements

        with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="muskox-introspect") as pool:
            pending = pool.submit(others_and_columns)
            if half is None:
                tables = table_rows(client, listed)
            else:
                second = pool.submit(table_rows, half, listed, 1)
                tables = sorted(table_rows(client, listed, 0) + second.result(), key=lambda row: (row[0], row[1]))
            others, plain_columns = pending.result()
        return build_map(FetchedRows(tables, others), default_database, plain_columns)
    projections = projection_rows(client, listed)
    tables = table_rows(client, listed)
    # Parse the statements in a worker thread while this one waits for the other answers (the client is
    # only ever used from this thread).
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="muskox-introspect") as pool:
        statements = pool.submit(_parse_statements, tables, with_elements=projections is None)
        columns = group(client.select_rows(COLUMNS.format(databases=listed)))
        indexes = group(index_rows(client, listed))
        parsed_rows = statements.result()
    return _assemble(parsed_rows, tables, OtherRows(projections, columns, indexes), default_database, {})


def plain_columns_of(others: OtherRows) -> dict[Key, tuple[Column, ...]]:
    """Each table's columns as they are without column TTLs and an explicit PRIMARY KEY (the usual case)."""
    return {key: tuple(_column(row, None, False) for row in rows) for key, rows in others.columns.items()}


def build_map(rows: FetchedRows, default_database: str,
              plain_columns: dict[Key, tuple[Column, ...]] | None = None) -> InfraMap:
    """The map of what :func:`muskox_clickhouse.schema_rows.fetch_on_new_connections` read (``plain_columns``:
    :func:`plain_columns_of` its other rows, if already built)."""
    parsed_rows = _parse_statements(rows.tables, with_elements=rows.others.projections is None)
    if plain_columns is None:
        plain_columns = plain_columns_of(rows.others)
    return _assemble(parsed_rows, rows.tables, rows.others, default_database, plain_columns)


def _assemble(parsed_rows: list[tuple[str, str, str, str, ParsedCreate]], table_rows_read: Rows, others: OtherRows,
              default_database: str, plain_columns: dict[Key, tuple[Column, ...]]) -> InfraMap:
    tables: list[Table] = []
    views: list[View] = []
    materialized_views: list[MaterializedView] = []
    projections = others.projections
    for database, name, engine, sorting_key, parsed in parsed_rows:
        if engine == "View":
            views.append(View(name=name, database=database, select_sql=parsed.clauses.as_select or ""))
        elif engine == "MaterializedView":
            if parsed.to_table is not None:
                materialized_views.append(MaterializedView(
                    name=name, database=database, select_sql=parsed.clauses.as_select or "",
                    target_table=parsed.to_table, target_database=parsed.to_database or database))
        else:
            key = (database, name)
            tables.append(_table(name, database, engine, parsed, sorting_key, others.columns.get(key, []),
                                 others.indexes.get(key, []), None if projections is None else projections.get(key, []),
                                 plain_columns.get(key)))
    from muskox_clickhouse.dictionary_sql import dictionaries_from_rows  # the same rows: no extra query

    return InfraMap.of(default_database, tables=tables, views=views, materialized_views=materialized_views,
                       dictionaries=dictionaries_from_rows(table_rows_read))


def _parse_statements(rows: Rows, *, with_elements: bool) -> list[tuple[str, str, str, str, ParsedCreate]]:
    """(database, name, engine, sorting key, parsed statement) of every table and view muskox reports."""
    parsed: list[tuple[str, str, str, str, ParsedCreate]] = []
    for database, name, engine, create_query, engine_full, sorting_key in rows:
        if is_internal_table(name) or engine in _SKIPPED_ENGINES:
            continue
        if engine in _VIEW_ENGINES:
            statement = parse_create(create_query)
        else:
            statement = _parse_table(create_query, engine_full, with_elements=with_elements)
        parsed.append((database, name, engine, sorting_key, statement))
    return parsed


# -- one table ------------------------------------------------------------------------------------------


def _parse_table(create_query: str, engine_full: str, *, with_elements: bool) -> ParsedCreate:
    """The table's statement, reading only ``engine_full`` when the column list is not needed: no column TTL or
    constraint can be in it and ``with_elements`` is False (the fast path parses 2,000 tables in a fraction of the
    time)."""
    marker = " ENGINE = " + engine_full
    at = create_query.rfind(marker) if engine_full and not with_elements else -1
    if at < 0 or "TTL" in create_query[:at] or "CONSTRAINT" in create_query[:at]:
        return parse_create(create_query)
    return ParsedCreate(kind="TABLE", database=None, name="", clauses=parse_engine_full(engine_full))


def _table(name: str, database: str, engine: str, parsed: ParsedCreate, sorting_key: str,
           column_rows: list[tuple[Any, ...]], index_rows: list[tuple[Any, ...]],
           projection_rows: list[tuple[Any, ...]] | None, plain_columns: tuple[Column, ...] | None = None) -> Table:
    """One table; ``plain_columns``, when given, are its columns read without column TTLs and without an explicit
    PRIMARY KEY (used when the statement has neither)."""
    clauses = parsed.clauses
    column_ttls = {c.name: c.ttl for c in parsed.columns if c.ttl}
    explicit_key = clauses.primary_key is not None
    projection_pairs = parsed.projections if projection_rows is None else [(n, q) for n, q in projection_rows]
    if plain_columns is None or explicit_key or column_ttls:
        plain_columns = tuple(_column(row, column_ttls.get(row[0]), explicit_key) for row in column_rows)
    return Table(
        name=name,
        database=database,
        columns=plain_columns,
        engine=parse_engine(clauses.engine or engine, clauses.engine_arguments),
        order_by=_order_by(clauses.order_by, sorting_key),
        partition_by=clauses.partition_by,
        primary_key_expression=clauses.primary_key,
        sample_by=clauses.sample_by,
        ttl=clauses.ttl,
        settings=clauses.settings,
        indexes=tuple(_index(row) for row in index_rows),
        projections=tuple(TableProjection(name=n, body=q) for n, q in projection_pairs),
        constraints=tuple(TableConstraint(name=n, type=t, expression=e) for n, t, e in parsed.constraints),
    )


@functools.lru_cache(maxsize=4096)
def split_nullable(type_text: str) -> tuple[DataType, bool]:
    """A ``system.columns`` type as (data type, nullable): top-level ``Nullable(T)`` is (T, True) and
    ``LowCardinality(Nullable(T))`` is (``LowCardinality(T)``, True)."""
    try:
        data_type = parse_type(type_text)
    except TypeSyntaxError:
        return Raw(type_text), False
    if isinstance(data_type, Nullable):
        return data_type.inner, True
    if isinstance(data_type, LowCardinality) and isinstance(data_type.inner, Nullable):
        return LowCardinality(data_type.inner.inner), True
    return data_type, False


@functools.lru_cache(maxsize=1 << 14)
def _column(row: tuple[Any, ...], ttl: str | None, explicit_key: bool) -> Column:
    """One ``system.columns`` row. ``primary_key`` flags the columns of an explicit PRIMARY KEY clause only (as
    Moose's ``Key[T]`` declares one); without that clause the key is the sorting key and no column is flagged.

    Cached: the tables of one schema repeat the same few column rows, and columns are immutable."""
    name, type_text, default_kind, default_expression, comment, codec, in_primary_key = row
    data_type, nullable = split_nullable(type_text)
    expressions: dict[str, str | None] = {"default": None, "materialized": None, "alias": None}
    kind = str(default_kind).lower()
    if kind in expressions and default_expression != "":
        expressions[kind] = default_expression
    return Column(name=name, data_type=data_type, nullable=nullable, primary_key=explicit_key and bool(in_primary_key),
                  default=expressions["default"], materialized=expressions["materialized"],
                  alias=expressions["alias"], comment=comment or None, codec=_codec(codec), ttl=ttl or None)


def _codec(text: str) -> str | None:
    """``CODEC(Delta(4), ZSTD(1))`` → ``Delta(4), ZSTD(1)`` (the model keeps codecs without the wrapper)."""
    if text.startswith("CODEC(") and text.endswith(")"):
        return text[6:-1] or None
    return text or None


_PLAIN_NAMES = re.compile(r"\(?([A-Za-z_][A-Za-z0-9_]*(?:, [A-Za-z_][A-Za-z0-9_]*)*)\)?")


def _order_by(clause: str | None, sorting_key: str) -> tuple[str, ...] | str:
    """Column names when ORDER BY is a plain tuple of identifiers, else the clause's expression text."""
    text = clause if clause is not None else sorting_key
    plain = _PLAIN_NAMES.fullmatch(text)
    if plain is not None and text.count("(") == text.count(")") and text.lower() != "tuple()":
        return tuple(plain.group(1).split(", "))
    tokens = tokenize(text)
    if not tokens or (len(tokens) == 3 and tokens[0].is_word("TUPLE") and tokens[1].is_punct("(")
                      and tokens[2].is_punct(")")):
        return ()
    inner = tokens[1:-1] if tokens[0].is_punct("(") and matching_close(tokens, 0) == len(tokens) - 1 else tokens
    items = split_top_level(inner)
    if items and all(len(item) == 1 and item[0].is_name for item in items):
        return tuple(item[0].value for item in items)
    return text


def _index(row: tuple[Any, ...]) -> TableIndex:
    name, index_type, type_full, expression, granularity = row
    tokens = tokenize(type_full)
    arguments: tuple[str, ...] = ()
    if len(tokens) >= 3 and tokens[1].is_punct("("):
        close = matching_close(tokens, 1)
        arguments = tuple(source_text(type_full, part) for part in split_top_level(tokens[2:close]))
    return TableIndex(name=name, expression=expression, type=index_type, arguments=arguments,
                      granularity=int(granularity))
