"""The ``postgres`` state store: state, applied list, history and the migration lock in four PostgreSQL tables.

Every row carries the section's ``namespace``, so projects and tenants share a database and nothing else:

- ``muskox_state (namespace PK, saved_at, state)``: the last applied state (:mod:`muskox.state.encoding`);
- ``muskox_applied (namespace, position, migration_id)``: the applied list, in insertion order, each id once;
- ``muskox_history (namespace, position, entry)``: the migration history, trimmed to the newest
  :data:`muskox.plugin.interfaces.HISTORY_KEPT` entries;
- ``muskox_lock (namespace PK, record)``: the migration lock, muskox's JSON lock record. Taking it is one
  ``INSERT … ON CONFLICT DO NOTHING`` (of many processes exactly one inserts); renewing and releasing compare
  the stored record with this process's (``UPDATE``/``DELETE … WHERE record = %s``).

The connection is in autocommit mode, so every statement is its own transaction; calls are serialised with a
lock because the lock's heartbeat renews from another thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from muskox.errors import ConnectionFailed, PluginError
from muskox.masking import mask_text, mask_url
from muskox.plugin.interfaces import HISTORY_KEPT, Lock, StateStore
from muskox.state.encoding import decode_state, encode_state
from muskox.state.errors import LockHeld
from muskox.state.lock_info import DEFAULT_LOCK_TTL, LockInfo, decode_record, encode_record, warn_stale_deleted
from muskox_state_postgres.config import SECTION, PostgresStateConfig

if TYPE_CHECKING:
    from pathlib import Path

    from muskox.config import Config
    from muskox.model import InfraMap
    from muskox.plugin.dialect import Dialect

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS muskox_state (namespace text PRIMARY KEY, saved_at timestamptz NOT NULL "
    "DEFAULT now(), state text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS muskox_applied (namespace text NOT NULL, position bigserial, migration_id text "
    "NOT NULL, PRIMARY KEY (namespace, migration_id))",
    "CREATE TABLE IF NOT EXISTS muskox_history (namespace text NOT NULL, position bigserial, entry text NOT NULL, "
    "PRIMARY KEY (namespace, position))",
    "CREATE TABLE IF NOT EXISTS muskox_lock (namespace text PRIMARY KEY, record text NOT NULL)",
)
#: An advisory-lock key: concurrent first uses create the tables one at a time.
SCHEMA_LOCK = 0x6D75736B6F78


class PostgresStateStore(StateStore):
    """State and migration lock in PostgreSQL (``[postgres_state_config]``)."""

    description = "state, history and migration lock in PostgreSQL ([postgres_state_config] url, namespace)"

    def __init__(self, section: PostgresStateConfig, *, dialect: Dialect) -> None:
        self.section = section
        self.dialect = dialect
        self.namespace = section.namespace
        self._connection: Any = None
        self._guard = threading.RLock()
        self._ready = False

    @classmethod
    def from_config(cls, config: Config, *, dialect: Dialect, project_dir: Path | None = None) -> Self:
        """Open the store of ``[postgres_state_config]`` (nothing is contacted yet)."""
        section: PostgresStateConfig = config.section(SECTION, PostgresStateConfig)
        return cls(section, dialect=dialect)

    # -- connection ----------------------------------------------------------------------------------------------

    def where(self) -> str:
        """``PostgreSQL <masked URL>, namespace <namespace>``."""
        return f"PostgreSQL {mask_url(self.section.url)}, namespace {self.namespace}"

    @contextmanager
    def _cursor(self, what: str) -> Iterator[Any]:
        try:
            import psycopg
        except ImportError as exc:
            raise PluginError("the postgres state store needs psycopg, which is not installed",
                              "pip install 'psycopg[binary]'") from exc
        with self._guard:
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = psycopg.connect(self.section.url, autocommit=True,
                                                       connect_timeout=self.section.connect_timeout)
                if not self._ready:
                    with self._connection.transaction(), self._connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                        for statement in SCHEMA:
                            cursor.execute(statement)
                    self._ready = True
                with self._connection.cursor() as cursor:
                    yield cursor
            except psycopg.OperationalError as exc:
                self._drop_connection()
                raise ConnectionFailed(
                    f"could not {what} in {self.where()}: {mask_text(str(exc)).strip().splitlines()[0]}",
                    f"start PostgreSQL, or point {SECTION}.url (MUSKOX_POSTGRES_STATE_CONFIG__URL) at a running "
                    "server",
                ) from None

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken
                connection.close()

    def ping(self) -> None:
        """Connect (creating the tables on first use)."""
        with self._cursor("connect") as cursor:
            cursor.execute("SELECT 1")

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        with self._guard:
            self._drop_connection()

    # -- state and applied list ---------------------------------------------------------------------------------

    def load_state(self) -> InfraMap | None:
        """The last saved state, or None."""
        with self._cursor("read the state") as cursor:
            cursor.execute("SELECT state FROM muskox_state WHERE namespace = %s", (self.namespace,))
            row = cursor.fetchone()
        return None if row is None else decode_state(row[0], self.dialect, where=self.where())

    def save_state(self, infra: InfraMap) -> None:
        """Replace the saved state."""
        text = encode_state(infra, self.dialect)
        with self._cursor("save the state") as cursor:
            cursor.execute("INSERT INTO muskox_state (namespace, state) VALUES (%s, %s) ON CONFLICT (namespace) "
                           "DO UPDATE SET state = EXCLUDED.state, saved_at = now()", (self.namespace, text))

    def applied_migrations(self) -> list[str]:
        """The applied ids, in the order they were recorded."""
        with self._cursor("read the applied migrations") as cursor:
            cursor.execute("SELECT migration_id FROM muskox_applied WHERE namespace = %s ORDER BY position",
                           (self.namespace,))
            return [row[0] for row in cursor.fetchall()]

    def record_applied(self, migration_id: str) -> None:
        """Append ``migration_id`` (a second time changes nothing)."""
        with self._cursor("record an applied migration") as cursor:
            cursor.execute("INSERT INTO muskox_applied (namespace, migration_id) VALUES (%s, %s) "
                           "ON CONFLICT DO NOTHING", (self.namespace, migration_id))

    # -- history ----------------------------------------------------------------------------------------------

    def append_history(self, entry: str) -> None:
        """Add one history entry and drop those beyond the newest :data:`HISTORY_KEPT`."""
        with self._cursor("record the migration history") as cursor:
            cursor.execute("INSERT INTO muskox_history (namespace, entry) VALUES (%s, %s)", (self.namespace, entry))
            cursor.execute("DELETE FROM muskox_history WHERE namespace = %s AND position <= (SELECT position FROM "
                           "muskox_history WHERE namespace = %s ORDER BY position DESC OFFSET %s LIMIT 1)",
                           (self.namespace, self.namespace, HISTORY_KEPT))

    def history(self, limit: int = HISTORY_KEPT) -> list[str]:
        """The newest ``limit`` entries, oldest first."""
        with self._cursor("read the migration history") as cursor:
            cursor.execute("SELECT entry FROM muskox_history WHERE namespace = %s ORDER BY position DESC LIMIT %s",
                           (self.namespace, max(0, limit)))
            return [row[0] for row in reversed(cursor.fetchall())]

    # -- the lock ---------------------------------------------------------------------------------------------

    def acquire_lock(self, owner: str, ttl: float = DEFAULT_LOCK_TTL) -> PostgresLock:
        """Insert the lock row for ``owner``; a stale lock is deleted (if still the same) and taken over."""
        new = LockInfo.new(owner, ttl)
        text = encode_record(new)
        for _ in range(5):
            with self._cursor("take the migration lock") as cursor:
                cursor.execute("INSERT INTO muskox_lock (namespace, record) VALUES (%s, %s) ON CONFLICT DO NOTHING "
                               "RETURNING record", (self.namespace, text))
                if cursor.fetchone() is not None:
                    return PostgresLock(self, new.with_raw(text), ttl)
                current = self.lock_status()
                if current is None:
                    continue  # released in between: try again
                if current.started_at is not None and not current.is_stale():
                    raise LockHeld(current)
                if self._delete_if(current):
                    warn_stale_deleted(current)
        raise LockHeld(self.lock_status())

    def lock_status(self) -> LockInfo | None:
        """The stored lock (live or stale), with ``raw`` set, or None."""
        with self._cursor("read the migration lock") as cursor:
            cursor.execute("SELECT record FROM muskox_lock WHERE namespace = %s", (self.namespace,))
            row = cursor.fetchone()
        return None if row is None else _decode(row[0])

    def force_release_lock(self, expected: LockInfo | None = None) -> LockInfo | None:
        """Delete the lock (only if it is still ``expected``, when given); what was deleted."""
        with self._cursor("release the migration lock") as cursor:
            if expected is None:
                cursor.execute("DELETE FROM muskox_lock WHERE namespace = %s RETURNING record", (self.namespace,))
            else:
                cursor.execute("DELETE FROM muskox_lock WHERE namespace = %s AND record = %s RETURNING record",
                               (self.namespace, expected.raw))
            row = cursor.fetchone()
        return None if row is None else _decode(row[0])

    def _swap_if(self, current: LockInfo, new: LockInfo) -> str | None:
        text = encode_record(new)
        with self._cursor("renew the migration lock") as cursor:
            cursor.execute("UPDATE muskox_lock SET record = %s WHERE namespace = %s AND record = %s RETURNING record",
                           (text, self.namespace, current.raw))
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def _delete_if(self, current: LockInfo) -> bool:
        with self._cursor("release the migration lock") as cursor:
            cursor.execute("DELETE FROM muskox_lock WHERE namespace = %s AND record = %s",
                           (self.namespace, current.raw))
            return bool(cursor.rowcount)


class PostgresLock(Lock):
    """The held lock: both primitives compare the stored record with this one's."""

    def __init__(self, store: PostgresStateStore, info: LockInfo, ttl: float) -> None:
        super().__init__(info, ttl)
        self._store = store

    def _swap(self, current: LockInfo, new: LockInfo) -> str | None:
        return self._store._swap_if(current, new)

    def _delete(self, current: LockInfo) -> bool:
        return self._store._delete_if(current)


def _decode(raw: str) -> LockInfo:
    try:
        return decode_record(raw)
    except ValueError as exc:
        return LockInfo(owner=f"<unreadable lock: {exc}>", started_at=None, expires_at=None, raw=raw)
