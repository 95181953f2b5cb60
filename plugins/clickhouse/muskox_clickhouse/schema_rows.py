"""The rows introspection reads from ClickHouse's system tables, fetched without loading the schema model.

:mod:`muskox_clickhouse.introspect` turns these rows into an :class:`muskox.model.InfraMap`. They are fetched here,
apart from that model, so that a reading in the background can send its queries as soon as its connections are
open and load the model while the server answers (:func:`fetch_on_new_connections`).
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.dialect.quoting import quote_string
from muskox_clickhouse.errors import ClickHouseServerError

TABLES = ("SELECT database, name, engine, create_table_query, engine_full, sorting_key FROM system.tables "
          "WHERE database IN ({databases}) AND NOT is_temporary ORDER BY database, name")
TABLES_HALF = TABLES.replace("AND NOT is_temporary", "AND NOT is_temporary AND cityHash64(name) % 2 = {half}")
COLUMNS = ("SELECT database, table, name, type, default_kind, default_expression, comment, compression_codec, "
           "is_in_primary_key FROM system.columns WHERE database IN ({databases}) "
           "ORDER BY database, table, position")
INDEXES = ("SELECT database, table, name, type, type_full, expr, granularity FROM system.data_skipping_indices "
           "WHERE database IN ({databases}) AND creation = 'Explicit'")
INDEXES_BEFORE_25 = ("SELECT database, table, name, type, type_full, expr, granularity "
                     "FROM system.data_skipping_indices WHERE database IN ({databases})")
PROJECTIONS = "SELECT database, table, name, query FROM system.projections WHERE database IN ({databases})"
_UNKNOWN_IDENTIFIER = 47
_UNKNOWN_TABLE = 60

Key = tuple[str, str]
Rows = list[tuple[Any, ...]]


def in_list(databases: Sequence[str]) -> str:
    """The databases as an SQL list of strings (each once)."""
    return ", ".join(quote_string(d) for d in dict.fromkeys(databases))


def group(rows: Iterable[tuple[Any, ...]]) -> dict[Key, Rows]:
    """Rows by (database, table), without those two columns."""
    grouped: dict[Key, Rows] = defaultdict(list)
    for row in rows:
        grouped[(row[0], row[1])].append(row[2:])
    return grouped


def table_rows(client: ClickHouseClient, databases: str, half: int | None = None) -> Rows:
    """``system.tables`` (all of it, or one ``half`` by a hash of the name) for the SQL list ``databases``."""
    if half is None:
        return client.select_rows(TABLES.format(databases=databases))
    return client.select_rows(TABLES_HALF.format(databases=databases, half=half))


def index_rows(client: ClickHouseClient, databases: str) -> Rows:
    """The explicit data-skipping indexes (on servers before implicit indexes, all of them)."""
    try:
        return client.select_rows(INDEXES.format(databases=databases))
    except ClickHouseServerError as exc:  # servers before implicit indexes have no "creation" column
        if exc.code != _UNKNOWN_IDENTIFIER:
            raise
        return client.select_rows(INDEXES_BEFORE_25.format(databases=databases))


def projection_rows(client: ClickHouseClient, databases: str) -> dict[Key, Rows] | None:
    """Projections by table; None on servers without ``system.projections`` (then read from the statements)."""
    try:
        return group(client.select_rows(PROJECTIONS.format(databases=databases)))
    except ClickHouseServerError as exc:
        if exc.code != _UNKNOWN_TABLE:
            raise
        return None


@attrs.frozen
class OtherRows:
    """Everything but ``system.tables``, by table."""

    projections: dict[Key, Rows] | None
    columns: dict[Key, Rows]
    indexes: dict[Key, Rows]


def other_rows(client: ClickHouseClient, databases: str) -> OtherRows:
    """Projections, columns and indexes of the SQL list ``databases``."""
    projections = projection_rows(client, databases)
    columns = group(client.select_rows(COLUMNS.format(databases=databases)))
    return OtherRows(projections, columns, group(index_rows(client, databases)))


@attrs.frozen
class FetchedRows:
    """The rows of one reading: the tables (sorted by database and name) and the rest."""

    tables: Rows
    others: OtherRows


class SchemaFetch:
    """Reads the rows of ``databases`` on three connections of its own, opened at once as soon as it is created:
    each sends its query the moment it is open (the tables in two halves, which the server answers in parallel;
    the other queries on the third), so the caller can load what it needs while the server answers.

    Use it as a context manager: leaving waits for the queries and closes every connection opened.
    """

    def __init__(self, open_client: Callable[[], ClickHouseClient], databases: Sequence[str]) -> None:
        listed = in_list(databases)
        self._opened: list[ClickHouseClient] = []
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(3, thread_name_prefix="muskox-introspect")

        def on_own_connection(read: Callable[[ClickHouseClient], Any]) -> Callable[[], Any]:
            def run() -> Any:
                client = open_client()
                with self._lock:
                    self._opened.append(client)
                return read(client)
            return run

        def half(number: int) -> Callable[[ClickHouseClient], Rows]:
            return lambda client: table_rows(client, listed, number)

        self._halves = [self._pool.submit(on_own_connection(half(number))) for number in (0, 1)]
        self._others = self._pool.submit(on_own_connection(lambda client: other_rows(client, listed)))

    def others(self) -> OtherRows:
        """Projections, columns and indexes (waits for them; raises what their connection or query raised)."""
        result: OtherRows = self._others.result()
        return result

    def tables(self) -> Rows:
        """``system.tables``, sorted by database and name (waits for both halves)."""
        first, second = (half.result() for half in self._halves)
        return sorted(first + second, key=lambda row: (row[0], row[1]))

    def __enter__(self) -> SchemaFetch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._pool.shutdown(wait=True)
        finally:
            for client in self._opened:
                client.close()
