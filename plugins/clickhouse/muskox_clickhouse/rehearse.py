"""The rehearsal of a plan on ClickHouse: its statements run on empty copies, in scratch databases, first.

For every database the operations touch, a scratch database ``muskox_rehearsal_<random>_<n>`` is created; every
table the operations change (or a view query or raw ``ALTER`` names) is created there empty, from its current
definition (same columns, engine, keys, TTL, settings, indexes and projections; a replicated engine without its
replication, no ``ON CLUSTER``). Then each operation is rendered exactly as ``migrate`` renders it, its objects
moved to the scratch databases, and sent; the scratch databases are dropped at the end, whatever happened (in a
background thread that the process waits for before it exits: the answer does not wait for the drop).

What is rehearsed and what is not:

* table operations (``CREATE``, ``ALTER``, ``DROP``, the recreate with a copy of the rows) — all of them;
* views — created in the scratch database, database names in the query rewritten to the scratch ones; a view
  naming an object that has no copy (another view, a table outside the plan) is not reported;
* materialized views — their query is rehearsed as a plain view: a materialized view in the scratch database
  would be a trigger on its source, so none is ever created;
* raw SQL — ``ALTER TABLE``, ``CREATE TABLE``, ``CREATE VIEW`` and ``DROP`` statements are rehearsed, rewritten
  to the scratch databases; any other statement (``INSERT``, ``OPTIMIZE``, ``SYSTEM``, a materialized view, …)
  might write data and is never run in a rehearsal: the rehearsal stops there, and what follows is not
  rehearsed (the problems found before it are still reported);
* tables whose engine is not of the MergeTree family (Kafka, S3Queue, …) are not copied, and operations on them
  are not rehearsed: creating them would reach other systems.

After a refused statement the later operations on the same object are skipped (they would fail for the same
reason); operations on other objects are still rehearsed, so one rehearsal reports every independent problem.
"""

from __future__ import annotations

import concurrent.futures
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence

import attrs

from muskox.errors import MuskoxError
from muskox.model.engines import is_merge_tree
from muskox.model.infra_map import InfraMap
from muskox.model.operations import (
    CreateMaterializedView,
    CreateTable,
    CreateView,
    DropMaterializedView,
    DropView,
    Operation,
    RawSql,
    RecreateTableWithCopy,
    TableOperation,
)
from muskox.model.table import Table
from muskox_clickhouse.alter import Statement, render_statements, statement_settings
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.ddl import render_create_table
from muskox_clickhouse.dialect.quoting import quote_identifier
from muskox_clickhouse.dialect.sql_lexer import Token, tokenize
from muskox_clickhouse.errors import ClickHouseServerError

__all__ = ["Rehearsal", "rehearse", "scratch_engine", "wait_for_cleanup"]

log = logging.getLogger("muskox.clickhouse.rehearse")

#: Errors a view's rehearsal does not report: it names an object the scratch database has no copy of.
_MISSING_OBJECT = frozenset({60, 81})  # UNKNOWN_TABLE, UNKNOWN_DATABASE
_RAW_REHEARSED = (("ALTER", "TABLE"), ("CREATE", "TABLE"), ("CREATE", "VIEW"), ("CREATE", "OR"), ("DROP", "TABLE"),
                  ("DROP", "VIEW"))


#: Threads (each with its connections) rehearsing the operations of different tables at once.
THREADS = 4
_TABLE_SCOPED = (TableOperation, CreateTable, RecreateTableWithCopy)


class _Stop(Exception):
    """A raw statement that is not rehearsed: nothing after it is."""


def _anonymous(operation: Operation) -> Operation:
    """``operation`` without the name and database of its table (what the server's answer cannot depend on)."""
    match operation:
        case CreateTable(table=table):
            return CreateTable(table=attrs.evolve(table, name="", database=None, metadata=None))
        case RecreateTableWithCopy(before=before, table=after):
            return attrs.evolve(operation, before=attrs.evolve(before, name="", database=None, metadata=None),
                                table=attrs.evolve(after, name="", database=None, metadata=None))
        case TableOperation():
            return attrs.evolve(operation, table="", database=None)
    return operation


def scratch_engine(operations: Sequence[Operation]) -> str:
    """The engine of the scratch databases for ``operations``: ``Memory`` (a table's metadata is kept in memory,
    so creating and altering the copies writes no metadata file: the cheaper one; the tables themselves keep
    their engines) unless an operation exchanges tables, which only ``Atomic`` databases can."""
    return "Atomic" if any(isinstance(operation, RecreateTableWithCopy) for operation in operations) else "Memory"


def _without_cluster(table: Table, database: str) -> Table:
    engine = table.engine
    if getattr(engine, "replication", None) is not None:
        engine = attrs.evolve(engine, replication=None)  # type: ignore[arg-type]
    return attrs.evolve(table, database=database, cluster=None, engine=engine)


@attrs.define
class Rehearsal:
    """One rehearsal: the scratch databases, the copies made, the problems found."""

    client: ClickHouseClient
    open_session: Callable[[str | None], ClickHouseClient]
    """A new connection with the given database current (None: none)."""
    current: InfraMap
    default_database: str
    token: str = attrs.field(factory=lambda: secrets.token_hex(4))
    scratch: dict[str, str] = attrs.field(factory=dict)
    copied: set[tuple[str, str]] = attrs.field(factory=set)
    broken: set[tuple[str, str]] = attrs.field(factory=set)
    problems: list[tuple[int, str]] = attrs.field(factory=list)
    opened: list[tuple[str | None, ClickHouseClient]] = attrs.field(factory=list)
    """Every connection the rehearsal opened, with its current database (closed at the end)."""
    local: threading.local = attrs.field(factory=threading.local)
    """Per thread: ``sessions``, its connections by current database (None: the plain one)."""
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    known: dict[tuple[str, str], Table] | None = None
    """The current tables by ``(database, name)``, made on first use."""
    atomic: bool = False
    """Scratch databases of the ``Atomic`` engine (``EXCHANGE TABLES`` needs it); else ``Memory`` (see
    :func:`scratch_engine`)."""

    def database(self, real: str | None) -> str:
        """The scratch database standing for ``real`` (None: the default), created on first use."""
        name = real or self.default_database
        with self.lock:
            if name not in self.scratch:
                scratch = f"muskox_rehearsal_{self.token}_{len(self.scratch)}"
                engine = "Atomic" if self.atomic else "Memory"
                self.client.command(f"CREATE DATABASE {quote_identifier(scratch)} ENGINE = {engine}")
                self.scratch[name] = scratch
            return self.scratch[name]

    def table(self, database: str | None, name: str) -> Table | None:
        """The current definition of ``database.name``, if muskox knows the table."""
        if self.known is None:  # one pass over the tables, not one per lookup (200 tables: 40 000 steps)
            default = self.current.default_database
            known: dict[tuple[str, str], Table] = {}
            for table in self.current.tables.values():
                known.setdefault((table.database or default, table.name), table)
            self.known = known
        return self.known.get((database or self.default_database, name))

    def copy(self, database: str | None, name: str) -> None:
        """Create the empty copy of ``database.name`` (once; nothing for a table muskox does not know)."""
        key = (database or self.default_database, name)
        with self.lock:
            if key in self.copied:
                return
            self.copied.add(key)
        table = self.table(*key)
        if table is None or not is_merge_tree(table.engine):
            return
        scratch = self.database(key[0])
        self._session(None).command(render_create_table(_without_cluster(table, scratch), default_database=scratch),
                                    settings=statement_settings(Statement("")))

    # -- the operations -------------------------------------------------------------------------------------

    def run(self, operations: Sequence[Operation]) -> list[str]:
        """Rehearse ``operations`` in order (the scratch databases stay: :meth:`close` removes them).

        Consecutive operations on tables run in parallel, one table per thread, each table's in order; any other
        operation (a view, raw SQL) runs alone, after everything before it."""
        self.atomic = scratch_engine(operations) == "Atomic"
        self.database(None)
        segment: list[tuple[int, Operation]] = []
        with concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix="muskox-rehearse") as pool:
            for index, operation in enumerate(operations, 1):
                if isinstance(operation, _TABLE_SCOPED):
                    segment.append((index, operation))
                    continue
                self._parallel(pool, segment)
                segment = []
                try:
                    problem = self._rehearse(index, operation)
                except _Stop as stop:
                    log.info("rehearsal stopped at operation %d: %s", index, stop)
                    return self._sorted()
                if problem is not None:
                    self.problems.append((index, f"[{index}] {operation.describe()}: {problem}"))
            self._parallel(pool, segment)
        return self._sorted()

    def _sorted(self) -> list[str]:
        return [line for _, line in sorted(self.problems)]

    def _parallel(self, pool: concurrent.futures.ThreadPoolExecutor, segment: list[tuple[int, Operation]]) -> None:
        groups: dict[tuple[str, str], list[tuple[int, Operation]]] = {}
        for index, operation in segment:
            groups.setdefault(self._subject(operation), []).append((index, operation))
        # tables of one definition given the same operations get the same answers: one of them is rehearsed
        shapes: dict[str, list[list[tuple[int, Operation]]]] = {}
        for subject, group in groups.items():
            shapes.setdefault(self._shape(subject, group), []).append(group)

        def run(group: list[tuple[int, Operation]]) -> list[tuple[int, str]]:
            found = []
            for position, (index, operation) in enumerate(group):
                problem = self._rehearse(index, operation)
                if problem is not None:
                    found.append((position, problem))
            return found

        futures = [(pool.submit(run, alike[0]), alike) for alike in shapes.values()]
        for future, alike in futures:
            for position, problem in future.result():
                for group in alike:
                    index, operation = group[position]
                    self.problems.append((index, f"[{index}] {operation.describe()}: {problem}"))

    def _shape(self, subject: tuple[str, str], group: list[tuple[int, Operation]]) -> str:
        """The group's table definition and operations without the table's name and database."""
        table = self.table(*subject)
        anonymous = repr(None if table is None else attrs.evolve(table, name="", database=None, metadata=None))
        operations = [repr(_anonymous(operation)) for _, operation in group]
        return "\n".join([anonymous, *operations])

    def _subject(self, operation: Operation) -> tuple[str, str]:
        database, name = operation.subject()
        return database or self.default_database, name

    def _rehearse(self, index: int, operation: Operation) -> str | None:
        """Rehearse one operation; the server's error when it refused a statement (the later operations on the
        same object are then skipped)."""
        subject = self._subject(operation)
        if subject in self.broken:
            return None
        moved = self._moved(operation)
        if moved is None:
            return None
        scratch_default = self.database(None)
        tolerated = _MISSING_OBJECT if isinstance(moved, CreateView | RawSql) else frozenset()
        for statement in render_statements(moved, scratch_default):
            try:
                self._send(statement)
            except ClickHouseServerError as exc:
                if exc.code in tolerated:
                    return None
                with self.lock:
                    self.broken.add(subject)
                return exc.problem
        return None

    def _send(self, statement: Statement) -> None:
        self._session(statement.session_database).command(statement.sql, settings=statement_settings(statement))

    def _session(self, database: str | None) -> ClickHouseClient:
        """This thread's connection with ``database`` current (None: the plain one)."""
        sessions: dict[str | None, ClickHouseClient] = getattr(self.local, "sessions", None) or {}
        self.local.sessions = sessions
        if database not in sessions:
            if database is None and threading.current_thread() is threading.main_thread():
                sessions[None] = self.client
            else:
                sessions[database] = self.open_session(database)
                with self.lock:
                    self.opened.append((database, sessions[database]))
        return sessions[database]

    def _moved(self, operation: Operation) -> Operation | None:
        """``operation`` with its objects in the scratch databases (None: not rehearsed)."""
        match operation:
            case CreateTable(table=table):
                if not is_merge_tree(table.engine):
                    return None
                return CreateTable(table=_without_cluster(table, self.database(table.database)))
            case RecreateTableWithCopy(before=before, table=after):
                self.copy(before.database, before.name)
                if self.table(before.database, before.name) is None:
                    return None
                database = self.database(after.database or before.database)
                return attrs.evolve(operation, before=_without_cluster(before, database),
                                    table=_without_cluster(after, database))
            case TableOperation(database=database, table=name):
                known = self.table(database, name)
                if known is not None and not is_merge_tree(known.engine):
                    return None
                self.copy(database, name)
                return attrs.evolve(operation, database=self.database(database), cluster_name=None)
            case CreateView(select_sql=select) | CreateMaterializedView(select_sql=select):
                self._copy_named(select, operation.database)
                return CreateView(name=operation.name, select_sql=self._rewrite(select),
                                  database=self.database(operation.database))
            case DropView() | DropMaterializedView():
                return None  # nothing in the scratch database depends on the view
            case RawSql(sql=statements):
                return RawSql(sql=tuple(self._raw(sql) for sql in statements), description=operation.description)
        return None  # a plugin's operation: not rehearsed

    def _raw(self, sql: str) -> str:
        tokens = tokenize(sql)
        words = tuple(token.text.upper() for token in tokens[:2] if token.kind == "word")
        if words not in _RAW_REHEARSED:
            raise _Stop(f"raw SQL that is not DDL is not rehearsed: {sql[:60]!r}")
        if words == ("ALTER", "TABLE") and len(tokens) > 2 and tokens[2].is_name:
            qualified = len(tokens) > 4 and tokens[3].is_punct(".") and tokens[4].is_name
            database, name = (tokens[2].value, tokens[4].value) if qualified else (None, tokens[2].value)
            self.copy(database, name)
        self._copy_named(sql, None)
        return self._rewrite(sql)

    def _copy_named(self, sql: str, database: str | None) -> None:
        """Copy the known tables of ``database`` a query names (so that the query finds them)."""
        names = {token.value for token in tokenize(sql) if token.is_name}
        for table in self._tables_in(database or self.default_database):
            if table.name in names:
                self.copy(database, table.name)

    def _tables_in(self, database: str) -> Iterable[Table]:
        return (t for t in self.current.tables.values() if (t.database or self.current.default_database) == database)

    def _rewrite(self, sql: str) -> str:
        """``sql`` with every ``db.`` qualifier naming a database of the plan replaced by its scratch database."""
        tokens = tokenize(sql)
        pieces: list[str] = []
        position = 0
        for index, token in enumerate(tokens):
            if not (token.is_name and index + 2 < len(tokens) and tokens[index + 1].is_punct(".")
                    and tokens[index + 2].is_name) or (index and tokens[index - 1].is_punct(".")):
                continue
            if token.value not in self.scratch and not self._known_database(token):
                continue
            pieces += [sql[position:token.start], quote_identifier(self.database(token.value))]
            position = token.start + len(token.text)
        return "".join([*pieces, sql[position:]])

    def _known_database(self, token: Token) -> bool:
        return token.value == self.default_database or any(
            (t.database or self.current.default_database) == token.value for t in self.current.tables.values())

    def close(self, *, background: bool = False) -> None:
        """Close the sessions and drop every scratch database (errors are logged: the answer stands).

        With ``background`` the drop runs in a thread of its own, on a session of its own, while the caller goes
        on (dropping a database of 200 empty MergeTree tables takes the server 0.2 to 0.9 s, most of it waiting for
        the tables to shut down). The thread is not a daemon: the process does not exit before the scratch
        databases are gone; :func:`wait_for_cleanup` waits for it."""
        sessions = [session for _, session in self.opened]
        if not background or not self.scratch:
            self._drop(self.client, sessions)
            return
        # a connection without a scratch database current drops them (the caller keeps using its own)
        spare = next((session for database, session in self.opened if database is None), None)
        sessions = [session for session in sessions if session is not spare]

        def drop() -> None:
            try:
                client = spare if spare is not None else self.open_session(None)
            except MuskoxError as exc:
                log.warning("could not connect to drop the rehearsal databases %s: %s",
                            ", ".join(self.scratch.values()), exc.problem)
                for session in sessions:
                    session.close()
                return
            self._drop(client, [*sessions, client])

        thread = threading.Thread(target=drop, name="muskox-rehearsal-cleanup")
        with _CLEANUPS_LOCK:  # finished ones are forgotten (``muskox dev`` rehearses for hours)
            _CLEANUPS[:] = [running for running in _CLEANUPS if running.is_alive()]
            _CLEANUPS.append(thread)
        thread.start()

    def _drop(self, client: ClickHouseClient, sessions: Iterable[ClickHouseClient]) -> None:
        for session in sessions:
            if session is not client:
                session.close()
        for scratch in self.scratch.values():
            try:
                client.command(f"DROP DATABASE IF EXISTS {quote_identifier(scratch)} SYNC")
            except MuskoxError as exc:
                log.warning("could not drop the rehearsal database %s: %s", scratch, exc.problem)
        if client is not self.client:
            client.close()


#: Threads dropping the scratch databases of finished rehearsals (:meth:`Rehearsal.close`).
_CLEANUPS: list[threading.Thread] = []
_CLEANUPS_LOCK = threading.Lock()


def wait_for_cleanup(timeout: float | None = None) -> None:
    """Wait until the scratch databases of every finished rehearsal are dropped."""
    with _CLEANUPS_LOCK:
        threads = list(_CLEANUPS)
        _CLEANUPS.clear()
    for thread in threads:
        thread.join(timeout)


def rehearse(client: ClickHouseClient, open_session: Callable[[str | None], ClickHouseClient],
             operations: Sequence[Operation], current: InfraMap, default_database: str) -> list[str]:
    """Rehearse ``operations`` (see the module); one line per refused statement.

    :param open_session: returns a new connection with the given (scratch) database current (None: none).
    """
    rehearsal = Rehearsal(client, open_session, current, default_database)
    try:
        return rehearsal.run(operations)
    finally:
        rehearsal.close(background=True)
