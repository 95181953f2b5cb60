"""The ``clickhouse`` state store: rows of a KeeperMap table in the primary database (spec 9.1).

The table is Moose's ``<db>._MOOSE_STATE`` (``ENGINE = KeeperMap('/<db>/_MOOSE_STATE') PRIMARY KEY key``),
reached through the ClickHouse backend of muskox-clickhouse over the same URL as the schema itself. Reading never
creates anything: while the database or the table does not exist the store reads as empty (no state, no lock, no
applied list; :meth:`KeeperStateStore.missing` says which is absent), so ``plan``, ``lock status`` and a user with
``readonly = 1`` never write. The first write (saving a state, taking the lock, recording a file) creates the
database and the table. Rows:

- ``muskox_infra_map_<unix_ms>``: muskox's state as JSON (:mod:`muskox.state.encoding`), a new row per save
  (history). The newest is the one with the greatest ``<unix_ms>`` (never ``created_at``, which has one-second
  resolution); a save always writes a key greater than every existing one. Moose's own ``infra_map_<ms>`` rows
  hold protobuf that muskox cannot read: muskox never writes them and ignores them.
- ``migration_lock``: Moose's lock, base64 of ``{"machine_id", "started_at", "expires_at"}``, so a Moose migration
  and a muskox migration exclude each other.
- ``applied_migrations``: the applied list (delta mode), a JSON array of migration ids.

Every change runs with ``keeper_map_strict_mode = 1``: an ``INSERT`` of an existing key fails, and an
``ALTER TABLE … UPDATE`` or ``DELETE`` fails if the row changed since the server read it. Conditional statements
(``WHERE key = … AND value = <what this process holds>``) are therefore compare-and-set operations; the value is
read back afterwards to learn whether the condition matched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self

from muskox.errors import MuskoxError
from muskox.plugin.interfaces import HISTORY_KEPT, Lock, StateStore
from muskox.state.encoding import (
    COMPRESS_OVER,
    append_applied,
    decode_applied,
    decode_state,
    encode_applied,
    encode_state,
)
from muskox.state.errors import LockHeld, StateError
from muskox.state.lock_info import (
    DEFAULT_LOCK_TTL,
    LockInfo,
    decode_record_base64,
    encode_record_base64,
    warn_stale_deleted,
)
from muskox_clickhouse.backend import ClickHouseBackend
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.errors import ClickHouseServerError
from muskox_state_keeper.lost_table import is_embedded, keeper_data_lost, lost_error, lost_warning

if TYPE_CHECKING:
    from pathlib import Path

    from muskox.config import Config
    from muskox.model import InfraMap
    from muskox.plugin.dialect import Dialect

logger = logging.getLogger("muskox.state")

STATE_TABLE = "_MOOSE_STATE"
STATE_KEY_PREFIX = "muskox_infra_map_"
MOOSE_STATE_KEY_PREFIX = "infra_map_"
LOCK_KEY = "migration_lock"
APPLIED_KEY = "applied_migrations"
HISTORY_KEY_PREFIX = "muskox_history_"
STRICT = {"keeper_map_strict_mode": 1}
#: ClickHouse's KEEPER_EXCEPTION, and the Keeper errors that mean "the row existed or changed meanwhile" in
#: strict mode (any other Keeper error, e.g. a lost connection, is raised).
KEEPER_EXCEPTION = 999
#: ClickHouse's READONLY error: the user may not write (``readonly = 1``).
READONLY = 164
CONFLICTS = ("Node exists", "Bad version", "No node")
#: Compare-and-set attempts before giving up on a value other processes keep changing.
CAS_ATTEMPTS = 20


class KeeperStateStore(StateStore):
    """State kept in ``<db>._MOOSE_STATE`` (``ENGINE = KeeperMap('/<db>/_MOOSE_STATE') PRIMARY KEY key``)."""

    description = "ClickHouse KeeperMap table _MOOSE_STATE in the primary database"

    def __init__(self, backend: ClickHouseBackend, *, dialect: Dialect) -> None:
        """Keep the state on ``backend``'s server; the stored map's types are written in ``dialect`` (the OLAP
        backend's, which need not be ClickHouse's)."""
        self.backend = backend
        self.dialect = dialect
        self._ready = False
        """True once the table is known to exist (seen or created)."""
        self._missing: str | None = None
        """What a read found absent (the database or the table), until a write creates it."""
        self._mutex = threading.RLock()  # the client is not thread-safe; the lock heartbeat shares it
        self._lost = False
        """True once the table was found without its Keeper data (embedded server), until a write recreates it."""
        self._lost_warned = False

    @classmethod
    def from_config(cls, config: Config, *, dialect: Dialect, project_dir: Path | None = None,
                    url: str | None = None) -> Self:
        """Open the store on the ClickHouse server of ``[clickhouse_config]`` (or ``url``)."""
        return cls(ClickHouseBackend.from_config(config, url=url), dialect=dialect)

    @property
    def table(self) -> str:
        """The fully qualified, quoted state table."""
        return f"{quote_identifier(self.backend.database)}.{quote_identifier(STATE_TABLE)}"

    @property
    def keeper_path(self) -> str:
        """The table's path in Keeper, Moose's ``/<db>/_MOOSE_STATE``."""
        return f"/{self.backend.database}/{STATE_TABLE}"

    def where(self) -> str:
        """``KeeperMap table `db`.`_MOOSE_STATE` on <masked URL>``."""
        return f"KeeperMap table {self.table} on {self.backend.url.masked()}"

    def ping(self) -> None:
        """Check that the ClickHouse server answers (raises ConnectionFailed with a fix otherwise)."""
        with self._mutex:
            self.backend.server_version()

    def close(self) -> None:
        """Close the ClickHouse connection. Safe to call twice."""
        with self._mutex:
            self.backend.close()

    # -- state -------------------------------------------------------------------------------------------

    def load_state(self) -> InfraMap | None:
        """The newest ``muskox_infra_map_<ms>`` row (greatest ``<ms>``), or ``None`` when there is none."""
        with self._mutex:
            keys = self._state_keys()
            if not keys and self._missing is not None:
                logger.warning("no stored state was read: the %s does not exist on %s (nothing was migrated with "
                               "this store there yet; the first `muskox migrate` creates it; if the name is "
                               "misspelled, correct [clickhouse_config] db_name or the URL's database)",
                               self._missing, self.backend.url.masked())
                return None
            if not keys:
                if self._has_moose_state():
                    logger.warning("%s holds Moose's state (infra_map_* rows, protobuf), which muskox cannot read; "
                                   "muskox starts without a stored state and adopts what exists", self.table)
                return None
            key = keys[-1][1]
            value = self._get(key)
        if value is None:  # deleted in between
            return self.load_state()
        return decode_state(value, self.dialect, where=f"{self.table} key {key}")

    def save_state(self, infra: InfraMap) -> None:
        """Insert a new ``muskox_infra_map_<ms>`` row whose key is newer than every existing one."""
        value = encode_state(infra, self.dialect, compress_over=COMPRESS_OVER)
        with self._mutex:
            keys = self._state_keys()
            stamp = max(int(time.time() * 1000), keys[-1][0] + 1 if keys else 0)
            for _ in range(CAS_ATTEMPTS):
                if self._insert_new(f"{STATE_KEY_PREFIX}{stamp}", value):
                    return
                stamp += 1  # another save took this millisecond
        raise StateError(f"could not save the state in {self.table}: every key tried already existed",
                         "retry; if it persists, check for a process saving states in a loop")

    def _state_keys(self) -> list[tuple[int, str]]:
        rows = self._query(f"SELECT key FROM {self.table} WHERE startsWith(key, {quote_string(STATE_KEY_PREFIX)})")
        keys = []
        for (key,) in rows:
            suffix = str(key)[len(STATE_KEY_PREFIX):]
            if suffix.isdigit():
                keys.append((int(suffix), str(key)))
        return sorted(keys)

    def _has_moose_state(self) -> bool:
        rows = self._query(f"SELECT count() FROM {self.table} "
                           f"WHERE startsWith(key, {quote_string(MOOSE_STATE_KEY_PREFIX)})")
        return bool(rows and int(rows[0][0]))

    # -- applied list -------------------------------------------------------------------------------------

    def applied_migrations(self) -> list[str]:
        """The ``applied_migrations`` row, a JSON array (empty when the row does not exist)."""
        with self._mutex:
            value = self._get(APPLIED_KEY)
        return [] if value is None else decode_applied(value, where=f"{self.table} key {APPLIED_KEY}")

    def record_applied(self, migration_id: str) -> None:
        """Append ``migration_id`` to the ``applied_migrations`` row (compare-and-set, retried on a race)."""
        with self._mutex:
            for _ in range(CAS_ATTEMPTS):
                old = self._get(APPLIED_KEY)
                ids = [] if old is None else decode_applied(old, where=f"{self.table} key {APPLIED_KEY}")
                updated = append_applied(ids, migration_id)
                if updated is None:
                    return
                new = encode_applied(updated)
                done = self._insert_new(APPLIED_KEY, new) if old is None else self._compare_and_set(APPLIED_KEY,
                                                                                                   old, new)
                if done:
                    return
        raise StateError(f"could not record migration {migration_id} in {self.table}: the applied list kept "
                         "changing", "retry; another process is writing the applied list")

    # -- the history ---------------------------------------------------------------------------------------

    def append_history(self, entry: str) -> None:
        """One row per entry, keyed ``muskox_history_<nanoseconds>_<pid>`` (keys sort by time); past twice
        :data:`HISTORY_KEPT` rows the oldest are deleted down to :data:`HISTORY_KEPT`."""
        key = f"{HISTORY_KEY_PREFIX}{time.time_ns():020d}_{os.getpid()}"
        with self._mutex:
            self._insert_new(key, entry)
            prefix = quote_string(HISTORY_KEY_PREFIX)
            rows = self._query(f"SELECT count() FROM {self.table} WHERE startsWith(key, {prefix})")
            if rows and int(rows[0][0]) > 2 * HISTORY_KEPT:
                oldest_kept = self._query(f"SELECT key FROM {self.table} WHERE startsWith(key, {prefix}) "
                                          f"ORDER BY key DESC LIMIT 1 OFFSET {HISTORY_KEPT - 1}")
                if oldest_kept:
                    self._command(f"DELETE FROM {self.table} WHERE startsWith(key, {prefix}) AND "
                                  f"key < {quote_string(str(oldest_kept[0][0]))}")

    def history(self, limit: int = HISTORY_KEPT) -> list[str]:
        """The newest ``limit`` history rows, oldest first (none while the table does not exist)."""
        if limit <= 0:
            return []
        with self._mutex:
            rows = self._query(f"SELECT value FROM {self.table} WHERE startsWith(key, "
                               f"{quote_string(HISTORY_KEY_PREFIX)}) ORDER BY key DESC LIMIT {int(limit)}")
        return [str(row[0]) for row in reversed(rows)]

    # -- the lock ----------------------------------------------------------------------------------------

    def acquire_lock(self, owner: str, ttl: float = DEFAULT_LOCK_TTL) -> KeeperLock:
        """Insert the ``migration_lock`` row (strict mode: fails if it exists); a stale one is deleted first."""
        with self._mutex:
            holder: LockInfo | None = None
            for _ in range(CAS_ATTEMPTS):
                holder = self._read_lock()
                if holder is not None:
                    if holder.started_at is None or not holder.is_stale():
                        raise LockHeld(holder)
                    if self._delete_if(LOCK_KEY, holder.raw or ""):
                        warn_stale_deleted(holder)
                    continue  # re-read: the stale lock is gone, or someone else changed it
                new = LockInfo.new(owner, ttl)
                value = encode_record_base64(new)
                if self._insert_new(LOCK_KEY, value):
                    return KeeperLock(self, new.with_raw(value), ttl)
            raise LockHeld(holder)

    def lock_status(self) -> LockInfo | None:
        """The ``migration_lock`` row, decoded (an unreadable value is reported as held by an unknown owner)."""
        with self._mutex:
            return self._read_lock()

    def force_release_lock(self, expected: LockInfo | None = None) -> LockInfo | None:
        """Delete the ``migration_lock`` row (only if it still holds ``expected``); return what was deleted."""
        with self._mutex:
            for _ in range(CAS_ATTEMPTS):
                current = self._read_lock()
                if current is None or (expected is not None and current.raw != expected.raw):
                    return None
                if self._delete_if(LOCK_KEY, current.raw or ""):
                    return current
                if expected is not None:
                    return None
        return None

    def swap_lock(self, current: LockInfo, new: LockInfo) -> str | None:
        """Replace the lock row by ``new`` if it still holds ``current``; the value written, or ``None``."""
        value = encode_record_base64(new)
        with self._mutex:
            return value if self._compare_and_set(LOCK_KEY, current.raw or "", value) else None

    def _read_lock(self) -> LockInfo | None:
        value = self._get(LOCK_KEY)
        if value is None:
            return None
        try:
            return decode_record_base64(value)
        except ValueError as exc:
            return LockInfo(owner=f"<unreadable lock: {exc}>", started_at=None, expires_at=None, raw=value)

    def missing(self) -> str | None:
        """``"database `d`"`` or ``"table `d`.`_MOOSE_STATE`"`` when a read found it absent (and nothing has
        created it since), else None. Reads what exists on the server if nothing was read yet."""
        with self._mutex:
            if not self._ready and self._missing is None:
                self._exists()
            return self._missing

    # -- rows ---------------------------------------------------------------------------------------------

    def _exists(self) -> bool:
        """Whether the state table exists (one query, no write); remembers what is absent otherwise."""
        if self._ready:
            return True
        database = quote_string(self.backend.database)
        rows = self.backend.client.select_rows(
            f"SELECT (SELECT count() FROM system.databases WHERE name = {database}), "
            f"(SELECT count() FROM system.tables WHERE database = {database} AND name = {quote_string(STATE_TABLE)})"
        )
        has_database, has_table = (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)
        if has_table:
            self._ready, self._missing = True, None
            return True
        self._missing = (f"table {self.table}" if has_database
                         else f"database {quote_identifier(self.backend.database)}")
        return False

    def _ensure_table(self) -> None:
        if self._lost:
            self._repair()
        if self._ready:
            return
        database = quote_identifier(self.backend.database)
        try:
            self.backend.client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
            self.backend.client.command(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                "(key String, value String, created_at DateTime DEFAULT now()) "
                f"ENGINE = KeeperMap({quote_string(self.keeper_path)}) PRIMARY KEY key"
            )
        except ClickHouseServerError as exc:
            if exc.code == READONLY:
                raise MuskoxError(
                    f"cannot create the state table {self.table} on {self.backend.url.masked()}: user "
                    f"'{self.backend.url.user}' is read-only ({exc.problem})",
                    "run this command as a user that may create the database and table (a read-only user can "
                    "run `muskox plan` and `muskox lock status` once the table exists)",
                    exit_code=exc.exit_code,
                ) from None
            raise MuskoxError(
                f"cannot create the state table {self.table} on {self.backend.url.masked()}: {exc.problem}",
                "the clickhouse state store needs KeeperMap (a Keeper and keeper_map_path_prefix in the server's "
                "config; ClickHouse Cloud has both) and a user that may create the database and table; otherwise "
                'choose another store: [state_config] storage = "redis" (or "file" for local work)',
                exit_code=exc.exit_code,
            ) from None
        self._ready, self._missing = True, None

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a read; none while the table does not exist (reads never create it)."""
        if self._lost or not self._exists():
            return []
        try:
            return self.backend.client.select_rows(sql)
        except ClickHouseServerError as exc:
            if not keeper_data_lost(exc):
                raise
            self._found_lost()
            return []

    def _command(self, sql: str, settings: dict[str, Any] | None = None) -> None:
        """Run a write; a table that lost its Keeper data is repaired (embedded server) and the write retried."""
        try:
            self.backend.client.command(sql, settings=settings)
        except ClickHouseServerError as exc:
            if not keeper_data_lost(exc):
                raise
            self._found_lost()
            self._repair()
            self.backend.client.command(sql, settings=settings)

    def _found_lost(self) -> None:
        """The table exists without its Keeper data: on the embedded server read it as empty until the first
        write recreates it (one warning); elsewhere stop with the statement to run."""
        rows = self.backend.client.select_rows("SELECT displayName()")
        if not (rows and is_embedded(str(rows[0][0]))):
            raise lost_error(self.table, self.backend.url.masked())
        self._lost = True
        if not self._lost_warned:
            self._lost_warned = True
            logger.warning("%s", lost_warning(self.table))

    def _repair(self) -> None:
        """Drop the table that lost its Keeper data and create it again, empty (embedded server only)."""
        try:  # another process may have repaired it meanwhile: drop it only while it is still broken
            self.backend.client.select_rows(f"SELECT count() FROM {self.table} WHERE key = ''")
        except ClickHouseServerError as exc:
            if not keeper_data_lost(exc):
                raise
            self.backend.client.command(f"DROP TABLE IF EXISTS {self.table} SYNC")
        self._lost = self._ready = False
        self._ensure_table()
        logger.info("recreated the state table %s, empty", self.table)

    def _get(self, key: str) -> str | None:
        rows = self._query(f"SELECT value FROM {self.table} WHERE key = {quote_string(key)}")
        return str(rows[0][0]) if rows else None

    def _insert_new(self, key: str, value: str) -> bool:
        """Insert a row unless the key exists (strict mode); ``False`` when it existed."""
        self._ensure_table()
        with _keeper_conflict() as conflict:
            self._command(
                f"INSERT INTO {self.table} (key, value) VALUES ({quote_string(key)}, {quote_string(value)})",
                settings=STRICT,
            )
        return not conflict

    def _compare_and_set(self, key: str, old: str, new: str) -> bool:
        """Set ``key`` to ``new`` if it holds ``old``; ``True`` when this call changed it."""
        self._ensure_table()
        with _keeper_conflict() as conflict:
            self._command(
                f"ALTER TABLE {self.table} UPDATE value = {quote_string(new)} "
                f"WHERE key = {quote_string(key)} AND value = {quote_string(old)}",
                settings=STRICT,
            )
        return not conflict and self._get(key) == new

    def _delete_if(self, key: str, old: str) -> bool:
        """Delete ``key`` if it holds ``old``; ``True`` when it held ``old`` and is gone afterwards."""
        if self._get(key) != old:
            return False
        with _keeper_conflict() as conflict:
            self._command(
                f"DELETE FROM {self.table} WHERE key = {quote_string(key)} AND value = {quote_string(old)}",
                settings=STRICT,
            )
        return not conflict and self._get(key) != old


class KeeperLock(Lock):
    """The ``migration_lock`` row held by this process."""

    def __init__(self, store: KeeperStateStore, info: LockInfo, ttl: float) -> None:
        super().__init__(info, ttl)
        self.store = store

    def _swap(self, current: LockInfo, new: LockInfo) -> str | None:
        return self.store.swap_lock(current, new)

    def _delete(self, current: LockInfo) -> bool:
        return self.store.force_release_lock(current) is not None


class _Conflict:
    """Truthy once a strict-mode statement failed because the row existed or changed concurrently."""

    def __init__(self) -> None:
        self.hit = False

    def __bool__(self) -> bool:
        return self.hit


@contextlib.contextmanager
def _keeper_conflict() -> Iterator[_Conflict]:
    conflict = _Conflict()
    try:
        yield conflict
    except ClickHouseServerError as exc:
        if exc.code != KEEPER_EXCEPTION or not any(text in exc.server_message for text in CONFLICTS):
            raise
        conflict.hit = True
