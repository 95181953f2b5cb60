"""Applying plan operations to a ClickHouse server: thread-safe, one connection per thread, mutations awaited.

:class:`ClickHouseApplier` is the executor's ``apply_one`` (:mod:`muskox.apply.executor` calls it from several
threads at once). Each thread gets its own connections (clients are not thread-safe), opened on first use and
all closed by :meth:`ClickHouseApplier.close`. An operation's statements (:mod:`muskox_clickhouse.alter`) run
in order, each with :data:`muskox_clickhouse.ddl.DDL_SETTINGS`, and each is logged first (logger
``muskox.sql``, INFO, credentials masked). A ``CreateTable``, ``CreateView`` or ``CreateMaterializedView`` in a
database that does not exist creates it first (``CREATE DATABASE IF NOT EXISTS``).

Mutations. Before an ``ALTER TABLE`` the applier notes the table's mutations in ``system.mutations``; after it,
any new one is polled until ``is_done``. A statement known to start one (a column type change, ``DROP
COLUMN``, …, see :mod:`muskox_clickhouse.alter`) is sent with ``alter_sync = 0`` so the server does not wait
for it itself, and every polled ``ALTER`` with ``mutations_sync = 0``: the wait is the applier's, bounded by
``mutation_timeout``. An ``ALTER`` rendered by muskox that only changes metadata (adding a column, an index or
a projection, settings, comments, …) is not polled: it is sent with ``mutations_sync = 1``, so should the server
start a mutation for it all the same, the server waits for it and a failure is reported the same way. A
mutation with a ``latest_fail_reason`` (ClickHouse retries a failed mutation forever) raises
:class:`MutationFailed` at once, naming the reason and the exact ``KILL MUTATION`` statement to run.

Killed mutations. A finished mutation stays listed in ``system.mutations`` with ``is_done = 1`` (a MergeTree
table keeps its last ``finished_mutations_to_keep``, 100 by default); a killed one disappears. So a mutation
seen unfinished and then gone was killed, and so was one the statement certainly started but that is not
listed at all by the first poll, right after the statement returns. "Certainly started" (checked on ClickHouse
26.9): a command ``UPDATE`` (with ``alter_update_mode`` ``heavy``, the default), ``DELETE`` or ``MATERIALIZE
INDEX|PROJECTION|COLUMN|TTL`` on a table of a non-replicated ``…MergeTree`` engine, without ``ON CLUSTER``;
such a mutation is registered before the ``ALTER`` returns, even when it has nothing to change. Other
statements may legitimately start none (``DROP COLUMN`` of an ``ALIAS`` column, ``… IF EXISTS`` of something
absent, a ``MODIFY COLUMN`` keeping the type, a lightweight update), a replicated table lists a new mutation
only once its replica has read it from Keeper, and a kill leaves no trace: for those, nothing new at the first
poll means no mutation to wait for.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Self

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.logs.records import EVENT_ATTRIBUTE, STATEMENT
from muskox.model.operations import ModifyTableColumn, Operation
from muskox_clickhouse.alter import (
    Statement,
    create_database_sql,
    database_to_create,
    render_statements,
    statement_settings,
)
from muskox_clickhouse.client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_QUERY_TIMEOUT,
    ClickHouseClient,
    connect,
)
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.sql_lexer import Token, source_text, split_top_level, tokenize
from muskox_clickhouse.errors import ClickHouseServerError, clean_server_message
from muskox_clickhouse.sql_masking import mask_sql
from muskox_clickhouse.url import ClickHouseUrl

__all__ = [
    "COLUMN_CHANGE_FIX",
    "DEFAULT_MUTATION_TIMEOUT",
    "ClickHouseApplier",
    "MutationError",
    "MutationFailed",
    "MutationKilled",
    "MutationTimeout",
    "kill_mutation_statement",
]

#: Seconds to wait for the mutations one statement starts.
DEFAULT_MUTATION_TIMEOUT = 600.0
#: Longest pause between two polls of ``system.mutations`` (the first polls come faster).
DEFAULT_POLL_INTERVAL = 1.0
_FIRST_POLL = 0.05
_UNFINISHED = 341  # the server waited for a mutation that failed (mutations_sync / alter_sync on its side)

#: What to do after killing a failed column type change.
COLUMN_CHANGE_FIX = "revert the column change in code, or add a new column and backfill it"
_OTHER_FIX = "fix the statement (or the data it fails on) and apply again"

sql_log = logging.getLogger("muskox.sql")
outcome_log = logging.getLogger("muskox.sql.outcome")
"""Each statement's outcome and duration, for the command log (``muskox logs``); ``muskox.sql`` keeps the text."""
log = logging.getLogger("muskox.apply")


def kill_mutation_statement(database: str, table: str, mutation_id: str) -> str:
    """``KILL MUTATION WHERE database = '…' AND table = '…' AND mutation_id = '…'``."""
    return (f"KILL MUTATION WHERE database = {quote_string(database)} AND table = {quote_string(table)} "
            f"AND mutation_id = {quote_string(mutation_id)}")


class MutationError(MuskoxError):
    """A mutation started by an ``ALTER`` did not finish well; names the table and the mutation."""

    exit_code = ExitCode.APPLY_FAILED

    def __init__(self, problem: str, fix: str, *, database: str, table: str, mutation_id: str,
                 command: str) -> None:
        super().__init__(problem, fix)
        self.database = database
        self.table = table
        self.mutation_id = mutation_id
        self.command = command
        """The mutation's command as ``system.mutations`` shows it, e.g. ``MODIFY COLUMN `s` UInt32``."""

    @property
    def kill_statement(self) -> str:
        """The statement that stops the mutation."""
        return kill_mutation_statement(self.database, self.table, self.mutation_id)


class MutationFailed(MutationError):
    """The mutation failed (ClickHouse keeps retrying it until it is killed); ``reason`` is the server's."""

    def __init__(self, *, database: str, table: str, mutation_id: str, command: str, reason: str,
                 fix: str = COLUMN_CHANGE_FIX) -> None:
        self.reason = reason
        kill = kill_mutation_statement(database, table, mutation_id)
        super().__init__(
            f"mutation '{mutation_id}' ({command}) on {quote_identifier(database)}.{quote_identifier(table)} "
            f"failed: {reason}. ClickHouse retries it forever and reads of the table may fail until you run: "
            f"{kill}",
            f"run that KILL MUTATION, then {fix}",
            database=database, table=table, mutation_id=mutation_id, command=command)


class MutationTimeout(MutationError):
    """The mutation was still running when the applier's ``mutation_timeout`` ran out (it keeps running)."""

    def __init__(self, *, database: str, table: str, mutation_id: str, command: str, timeout: float) -> None:
        kill = kill_mutation_statement(database, table, mutation_id)
        where = f"database = {quote_string(database)} AND table = {quote_string(table)}"
        super().__init__(
            f"mutation '{mutation_id}' ({command}) on {quote_identifier(database)}.{quote_identifier(table)} "
            f"did not finish within {timeout:g} s; it keeps running on the server",
            f"watch it (SELECT mutation_id, parts_to_do, latest_fail_reason FROM system.mutations WHERE {where}) "
            f"and apply again once it is done (or with a longer mutation timeout), or stop it: {kill}",
            database=database, table=table, mutation_id=mutation_id, command=command)


class MutationKilled(MutationError):
    """The mutation disappeared from ``system.mutations`` before it finished (someone killed it).

    ``mutation_id`` is empty when the mutation was killed before the applier first saw it (its id is lost with
    it); ``command`` is then the ``ALTER``'s commands as sent.
    """

    def __init__(self, *, database: str, table: str, mutation_id: str, command: str) -> None:
        which = f"mutation '{mutation_id}' ({command})" if mutation_id else f"the mutation started by {command}"
        super().__init__(
            f"{which} on {quote_identifier(database)}.{quote_identifier(table)} was killed before it finished",
            "check the table's columns (the ALTER's metadata change stays), regenerate the plan and apply again",
            database=database, table=table, mutation_id=mutation_id, command=command)


@attrs.frozen
class _Mutation:
    mutation_id: str
    command: str
    is_done: bool
    fail_reason: str


def _command_text(command: str) -> str:
    text = " ".join(command.split())
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


#: The first words of the ALTER commands that always register a mutation on a non-replicated MergeTree table.
_ALWAYS_MUTATING = (("DELETE",), ("MATERIALIZE", "INDEX"), ("MATERIALIZE", "PROJECTION"),
                    ("MATERIALIZE", "COLUMN"), ("MATERIALIZE", "TTL"))


def _alter_commands(sql: str) -> tuple[str, list[list[Token]]] | None:
    """The commands of ``ALTER TABLE [db.]t …`` as written and as token lists split at top-level commas (an
    ``UPDATE a = 1, b = 2`` gives two lists, the first starting with ``UPDATE``); None for another statement
    or ``ON CLUSTER`` (the mutations start on each host later)."""
    tokens = tokenize(sql)
    if len(tokens) < 4 or not (tokens[0].is_word("ALTER") and tokens[1].is_word("TABLE")):
        return None
    start = 5 if len(tokens) > 5 and tokens[3].is_punct(".") else 3
    if start < len(tokens) and tokens[start].is_word("ON"):
        return None
    body = tokens[start:]
    return source_text(sql, body), split_top_level(body)


def _always_mutates(sql: str, update_mode: str) -> bool:
    """True when a command of ``sql`` always registers a mutation on a non-replicated MergeTree table
    (``update_mode``: the session's ``alter_update_mode``, empty on servers without lightweight updates)."""
    parsed = _alter_commands(sql)
    if parsed is None:
        return False
    heavy_update = update_mode in ("", "heavy") and not any(
        token.is_word("ALTER_UPDATE_MODE") for command in parsed[1] for token in command)
    for command in parsed[1]:
        words = tuple(token.text.upper() for token in command[:2] if token.kind == "word")
        if words[:1] == ("UPDATE",) and heavy_update:
            return True
        if any(words[:len(prefix)] == prefix for prefix in _ALWAYS_MUTATING):
            return True
    return False


def _record_statement(sql: str | None, started: float, error: BaseException | None) -> None:
    """Log a statement's outcome for the command log (``muskox logs``): the masked ``sql`` (None: the statement
    was not logged, nor is its outcome), its duration since ``started``, and the error with the server's code."""
    if sql is None:
        return
    seconds = time.perf_counter() - started
    event: dict[str, Any] = {"event": STATEMENT, "sql": sql, "seconds": round(seconds, 4),
                             "outcome": "ok" if error is None else "error"}
    if error is not None:
        event["error"] = error.one_line() if isinstance(error, MuskoxError) else f"{type(error).__name__}: {error}"
        if isinstance(error, ClickHouseServerError):
            event["error_code"], event["error_name"] = error.code, error.name
    outcome_log.info("%s: %s (%.3f s)", event["outcome"], sql, seconds, extra={EVENT_ATTRIBUTE: event})


class ClickHouseApplier:
    """Applies operations to the server at ``url``; :meth:`apply` may be called from many threads at once.

    :param default_database: the database of objects whose ``database`` is None (default: ``url.database``).
    :param mutation_timeout: seconds to wait for the mutations one statement starts.
    :param poll_interval: longest pause between two polls of ``system.mutations``.
    """

    def __init__(self, url: ClickHouseUrl, *, default_database: str | None = None,
                 mutation_timeout: float = DEFAULT_MUTATION_TIMEOUT, poll_interval: float = DEFAULT_POLL_INTERVAL,
                 connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                 query_timeout: float = DEFAULT_QUERY_TIMEOUT) -> None:
        self.url = url
        self.default_database = default_database or url.database
        self.mutation_timeout = mutation_timeout
        self.poll_interval = poll_interval
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout
        self._lock = threading.Lock()
        self._clients: dict[threading.Thread, dict[str | None, ClickHouseClient]] = {}
        self._databases: set[str] = set()

    # -- the public surface ----------------------------------------------------------------------------

    def apply(self, operation: Operation) -> None:
        """Run ``operation``'s statements in order and wait for the mutations they start.

        :raises MutationError: a mutation failed, timed out or was killed.
        :raises muskox_clickhouse.ClickHouseServerError: the server rejected a statement.
        :raises muskox.errors.ConnectionFailed: the server cannot be reached.
        :raises muskox_clickhouse.alter.UnsupportedOperation: an operation type this backend does not know.
        """
        statements = render_statements(operation, self.default_database)
        target = self._database_to_create(operation)
        if target is not None:
            self._ensure_database(*target)
        fix = COLUMN_CHANGE_FIX if isinstance(operation, ModifyTableColumn) else _OTHER_FIX
        for statement in statements:
            self._run(statement, fix)

    __call__ = apply

    def close(self) -> None:
        """Close every connection opened by any thread. Call it when no :meth:`apply` is running; the applier
        opens new connections if used again."""
        with self._lock:
            clients = [client for by_database in self._clients.values() for client in by_database.values()]
            self._clients.clear()
            self._databases.clear()
        for client in clients:
            client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- connections -----------------------------------------------------------------------------------

    def _client(self, database: str | None) -> ClickHouseClient:
        """This thread's connection with ``database`` current (None: the server's default, names qualified)."""
        thread = threading.current_thread()
        with self._lock:
            existing = self._clients.get(thread, {}).get(database)
            if existing is not None:
                return existing
            finished = [t for t in self._clients if not t.is_alive()]
            stale = [client for t in finished for client in self._clients.pop(t).values()]
        for client in stale:  # connections of threads that ended (an earlier executor's pool)
            client.close()
        if database is None:
            client = connect(self.url, use_database=False, connect_timeout=self.connect_timeout,
                             query_timeout=self.query_timeout)
        else:
            client = connect(attrs.evolve(self.url, database=database), use_database=True,
                             connect_timeout=self.connect_timeout, query_timeout=self.query_timeout)
        with self._lock:
            self._clients.setdefault(thread, {})[database] = client
        return client

    def _session_client(self, database: str | None) -> ClickHouseClient:
        """A connection with ``database`` current when it exists (else one without a current database)."""
        if database is not None and self._database_exists(database):
            return self._client(database)
        return self._client(None)

    # -- databases -------------------------------------------------------------------------------------

    def _database_to_create(self, operation: Operation) -> tuple[str, str | None] | None:
        return database_to_create(operation, self.default_database)

    def _database_exists(self, database: str) -> bool:
        with self._lock:
            if database in self._databases:
                return True
        sql = f"SELECT count() FROM system.databases WHERE name = {quote_string(database)}"
        sql_log.debug("%s", sql)
        exists = bool(self._client(None).select_rows(sql)[0][0])
        if exists:
            with self._lock:
                self._databases.add(database)
        return exists

    def _ensure_database(self, database: str, cluster: str | None) -> None:
        if self._database_exists(database):
            return
        sql = create_database_sql(database, cluster)
        sql_log.info("%s", sql)
        started = time.perf_counter()
        try:
            self._client(None).command(sql)
        except BaseException as exc:
            _record_statement(sql, started, exc)
            raise
        _record_statement(sql, started, None)
        with self._lock:
            self._databases.add(database)

    # -- statements and mutations ----------------------------------------------------------------------

    def _run(self, statement: Statement, fix: str) -> None:
        client = self._session_client(statement.session_database)
        settings: dict[str, Any] = statement_settings(statement)
        known: set[str] = set()
        polled = statement.watch is not None and not statement.metadata_only
        if polled:
            assert statement.watch is not None
            known = {m.mutation_id for m in self._mutations(client, *statement.watch)}
        masked: str | None = None
        if sql_log.isEnabledFor(logging.INFO):  # masking tokenizes the statement: only when it is logged
            masked = mask_sql(statement.sql)
            sql_log.info("%s", masked)
        started = time.perf_counter()
        try:
            try:
                client.command(statement.sql, settings=settings)
            except ClickHouseServerError as exc:
                if statement.watch is not None and (polled or exc.code == _UNFINISHED):
                    self._raise_failed_mutation(client, statement.watch, known, fix, exc)
                raise
            if polled:
                self._sent(statement)
                self._wait(client, statement, known, fix)
        except BaseException as exc:
            _record_statement(masked, started, exc)
            raise
        _record_statement(masked, started, None)

    def _mutations(self, client: ClickHouseClient, database: str, table: str) -> list[_Mutation]:
        sql = ("SELECT mutation_id, command, is_done, latest_fail_reason FROM system.mutations "
               f"WHERE database = {quote_string(database)} AND table = {quote_string(table)}")
        sql_log.debug("%s", sql)
        return [_Mutation(str(mutation_id), _command_text(str(command)), bool(is_done), str(reason or ""))
                for mutation_id, command, is_done, reason in client.select_rows(sql)]

    def _raise_failed_mutation(self, client: ClickHouseClient, watch: tuple[str, str], known: set[str], fix: str,
                               exc: ClickHouseServerError) -> None:
        """After a rejected statement: raise :class:`MutationFailed` if it started a mutation that failed (the
        server itself waited for it); return otherwise, for the caller to re-raise the server's error."""
        pending = [m for m in self._mutations(client, *watch) if m.mutation_id not in known and not m.is_done]
        if not pending:
            return
        failed = next((m for m in pending if m.fail_reason), None)
        if failed is not None:
            raise self._failed(watch, failed, failed.fail_reason, fix) from exc
        if exc.code == _UNFINISHED:
            raise self._failed(watch, pending[0], exc.server_message, fix) from exc

    @staticmethod
    def _failed(watch: tuple[str, str], mutation: _Mutation, reason: str, fix: str) -> MutationFailed:
        message, name = clean_server_message(reason)
        if name:
            message = f"{message} ({name})"
        return MutationFailed(database=watch[0], table=watch[1], mutation_id=mutation.mutation_id,
                              command=mutation.command, reason=message, fix=fix)

    def _wait(self, client: ClickHouseClient, statement: Statement, known: set[str], fix: str) -> None:
        """Poll the mutations started since ``known`` until all are done; raise when one fails, vanishes (also
        before the first poll, when ``statement`` certainly started one) or the timeout runs out."""
        assert statement.watch is not None
        watch = statement.watch
        deadline = time.monotonic() + self.mutation_timeout
        delay = _FIRST_POLL
        tracked: dict[str, _Mutation] | None = None  # None until the first poll
        while True:
            new = [m for m in self._mutations(client, *watch) if m.mutation_id not in known]
            self._polled(statement, tuple(new))
            current = {m.mutation_id: m for m in new}
            if tracked is None and not current and self._certainly_started(client, statement):
                parsed = _alter_commands(statement.sql)
                raise MutationKilled(database=watch[0], table=watch[1], mutation_id="",
                                     command=mask_sql(parsed[0] if parsed else statement.sql))
            for mutation_id, mutation in (tracked or {}).items():
                if mutation_id not in current:
                    raise MutationKilled(database=watch[0], table=watch[1], mutation_id=mutation_id,
                                         command=mutation.command)
            pending = [m for m in current.values() if not m.is_done]
            failed = next((m for m in pending if m.fail_reason), None)
            if failed is not None:
                raise self._failed(watch, failed, failed.fail_reason, fix)
            if not pending:
                return
            if not tracked:
                log.info("waiting for mutation %s on %s.%s", ", ".join(m.mutation_id for m in pending), *watch)
            tracked = {m.mutation_id: m for m in pending}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                first = pending[0]
                raise MutationTimeout(database=watch[0], table=watch[1], mutation_id=first.mutation_id,
                                      command=first.command, timeout=self.mutation_timeout)
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, self.poll_interval)

    def _certainly_started(self, client: ClickHouseClient, statement: Statement) -> bool:
        """Whether ``statement``, just run, must have registered a mutation that is listed at once (see the
        module's "Killed mutations"); asked only when the first poll lists no new mutation."""
        assert statement.watch is not None
        if not _always_mutates(statement.sql, "heavy"):
            return False
        database, table = statement.watch
        sql = ("SELECT engine, (SELECT any(value) FROM system.settings WHERE name = 'alter_update_mode') "
               f"FROM system.tables WHERE database = {quote_string(database)} AND name = {quote_string(table)}")
        sql_log.debug("%s", sql)
        rows = client.select_rows(sql)
        if not rows:
            return False
        engine, update_mode = str(rows[0][0]), str(rows[0][1] or "")
        plain_merge_tree = engine.endswith("MergeTree") and not engine.startswith(("Replicated", "Shared"))
        return plain_merge_tree and _always_mutates(statement.sql, update_mode)

    # -- seams: no-ops that tests override to act at exact points of a mutation's wait ----------------------

    def _sent(self, statement: Statement) -> None:
        """Called once a statement whose mutations are polled was accepted, before the first poll."""

    def _polled(self, statement: Statement, mutations: tuple[_Mutation, ...]) -> None:
        """Called after each poll with the mutations started since the statement was sent, done or not."""
