"""The ``redis`` state store: the last applied state, the applied list and the migration lock, kept in Redis.

Keys follow Moose (spec 9.2): ``<key_prefix>::<name>``. What is written under ``key_prefix`` is read back from it
or, when absent there, from ``last_key_prefix`` (the previous deployment's prefix), so state carries across
deployments that change the prefix.

- ``<key_prefix>::muskox_infrastructure_map``: muskox's state as JSON (:mod:`muskox.state.encoding`). Moose keeps
  protobuf under ``::infrastructure_map``, which muskox cannot read, so muskox never writes (nor reads) that key.
- ``<key_prefix>::migration_lock``: the lock, Moose's key, so a Moose and a muskox migration exclude each other.
  Taken with ``SET NX PX <ttl>``; its value is Moose's JSON record (:mod:`muskox.state.lock_info`); renewal and
  release are Lua scripts that act only if the value is still this process's. A value written by Moose (its
  instance id) is reported with the key's remaining time to live.
- ``<key_prefix>::applied_migrations``: the applied list (delta mode), a JSON array of migration ids.

redis-py is imported when the store is opened, not when this module is imported.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self

from muskox.errors import ConfigError, ConnectionFailed, PluginError
from muskox.masking import mask_text, mask_url
from muskox.plugin.interfaces import HISTORY_KEPT, Lock, StateStore
from muskox.state.encoding import append_applied, decode_applied, decode_state, encode_applied, encode_state
from muskox.state.errors import LockHeld, StateError
from muskox.state.lock_info import (
    DEFAULT_LOCK_TTL,
    LockInfo,
    decode_record,
    encode_record,
    utc_now,
    warn_stale_deleted,
)

if TYPE_CHECKING:
    from pathlib import Path

    from muskox.config import Config
    from muskox.model import InfraMap
    from muskox.plugin.dialect import Dialect

logger = logging.getLogger("muskox.state")

STATE_NAME = "muskox_infrastructure_map"
LOCK_NAME = "migration_lock"
APPLIED_NAME = "applied_migrations"
HISTORY_NAME = "history"
#: Attempts at a compare-and-set before giving up on a key other processes keep changing.
CAS_ATTEMPTS = 20

#: KEYS[1] = lock; ARGV = expected value, new value, ttl in ms. Replace the lock only if it still holds ARGV[1].
SWAP_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
#: KEYS[1] = lock; ARGV[1] = expected value. Delete the lock only if it still holds ARGV[1].
DELETE_IF_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

#: Seconds to connect, and to wait for each reply, before the server counts as unreachable.
DEFAULT_TIMEOUT = 5.0
KEY_SEPARATOR = "::"


class RedisStateStore(StateStore):
    """State and migration lock in a Redis server (``[redis_config]``)."""

    description = "state and migration lock in Redis ([redis_config] url, key_prefix)"

    def __init__(self, client: Any, *, url: str, dialect: Dialect, key_prefix: str = "MS",
                 last_key_prefix: str = "MS") -> None:
        """Wrap an open ``redis.Redis`` ``client``; ``url`` is only used (masked) in messages; the stored map's
        types are written in the OLAP backend's ``dialect``."""
        self.client = client
        self.dialect = dialect
        self.url = url
        self.key_prefix = key_prefix
        self.last_key_prefix = last_key_prefix
        self._closed = False

    @classmethod
    def from_config(cls, config: Config, *, dialect: Dialect, project_dir: Path | None = None,
                    timeout: float = DEFAULT_TIMEOUT) -> Self:
        """Open the store described by ``[redis_config]`` (url, key_prefix, last_key_prefix).

        Nothing is contacted yet: call :meth:`ping` to check the server. A URL redis-py cannot read is a
        :class:`muskox.errors.ConfigError`.
        """
        section = config.redis_config
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            raise PluginError("the redis state store needs redis-py, which is not installed",
                              "pip install muskox-state-redis (or pip install redis)") from exc
        try:
            client = redis.Redis.from_url(
                section.url,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=Retry(NoBackoff(), 1),
            )
        except ValueError as exc:
            detail = mask_text(str(exc))
            if "Port could not be cast" in detail or "Port out of range" in detail:
                detail = "its port is not a number from 1 to 65535"
            origin = config.origins.get("redis_config.url", "redis_config.url")
            raise ConfigError(
                f"{origin} '{mask_url(section.url)}' is not a valid Redis URL: {detail}",
                "write it as redis://host:port/db, with the credentials as user:password@ before the host "
                "(rediss:// for TLS, unix:///path.sock)",
            ) from None
        return cls(client, url=section.url, dialect=dialect, key_prefix=section.key_prefix,
                   last_key_prefix=section.last_key_prefix)

    def key(self, name: str) -> str:
        """The Redis key this store writes for ``name``: ``<key_prefix>::<name>``."""
        return f"{self.key_prefix}{KEY_SEPARATOR}{name}"

    def last_key(self, name: str) -> str:
        """The key the previous deployment wrote for ``name``: ``<last_key_prefix>::<name>``."""
        return f"{self.last_key_prefix}{KEY_SEPARATOR}{name}"

    def where(self) -> str:
        """``Redis <masked URL>, keys <key_prefix>::…``."""
        return f"Redis {mask_url(self.url)}, keys {self.key_prefix}{KEY_SEPARATOR}…"

    def ping(self) -> None:
        """Check that the server answers and accepts the credentials; else :class:`ConnectionFailed`."""
        with self._errors("PING"):
            self.client.ping()

    def close(self) -> None:
        """Close the client's connections. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self.client.close()

    # -- state -------------------------------------------------------------------------------------------

    def load_state(self) -> InfraMap | None:
        """``<key_prefix>::muskox_infrastructure_map``, else ``<last_key_prefix>::…``, else ``None``."""
        found = self._get_with_fallback(STATE_NAME)
        if found is None:
            return None
        key, value = found
        return decode_state(value, self.dialect, where=f"Redis key {key}")

    def save_state(self, infra: InfraMap) -> None:
        """Write ``<key_prefix>::muskox_infrastructure_map``."""
        value = encode_state(infra, self.dialect)
        with self._errors("SET"):
            self.client.set(self.key(STATE_NAME), value.encode())

    # -- applied list -------------------------------------------------------------------------------------

    def applied_migrations(self) -> list[str]:
        """The JSON array at ``<key_prefix>::applied_migrations``, else at ``<last_key_prefix>::…``, else ``[]``."""
        found = self._get_with_fallback(APPLIED_NAME)
        return [] if found is None else decode_applied(found[1], where=f"Redis key {found[0]}")

    def record_applied(self, migration_id: str) -> None:
        """Append ``migration_id`` and write the list under ``key_prefix`` (optimistic transaction, retried)."""
        import redis

        key, last_key = self.key(APPLIED_NAME), self.last_key(APPLIED_NAME)
        with self._errors("WATCH/MULTI"):
            for _ in range(CAS_ATTEMPTS):
                with self.client.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(key, last_key)
                        raw = pipe.get(key)
                        where = key
                        if raw is None:
                            raw, where = pipe.get(last_key), last_key
                        ids = [] if raw is None else decode_applied(_text(raw), where=f"Redis key {where}")
                        updated = append_applied(ids, migration_id)
                        if updated is None and where == key:
                            return
                        pipe.multi()
                        pipe.set(key, encode_applied(updated if updated is not None else ids).encode())
                        pipe.execute()
                        return
                    except redis.WatchError:
                        continue
        raise StateError(f"could not record migration {migration_id} in Redis key {key}: it kept changing",
                         "retry; another process is writing the applied list")

    # -- the history ---------------------------------------------------------------------------------------

    def append_history(self, entry: str) -> None:
        """``RPUSH <key_prefix>::history`` then ``LTRIM`` to the newest :data:`HISTORY_KEPT` (one transaction)."""
        key = self.key(HISTORY_NAME)
        with self._errors("RPUSH"), self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, entry.encode())
            pipe.ltrim(key, -HISTORY_KEPT, -1)
            pipe.execute()

    def history(self, limit: int = HISTORY_KEPT) -> list[str]:
        """``LRANGE <key_prefix>::history -limit -1``: the newest ``limit`` entries, oldest first."""
        if limit <= 0:
            return []
        with self._errors("LRANGE"):
            raw = self.client.lrange(self.key(HISTORY_NAME), -limit, -1)
        return [_text(item) for item in raw]

    # -- the lock ----------------------------------------------------------------------------------------

    def acquire_lock(self, owner: str, ttl: float = DEFAULT_LOCK_TTL) -> RedisLock:
        """``SET <prefix>::migration_lock <record> NX PX <ttl>``; a stale record still present is swapped out."""
        key = self.key(LOCK_NAME)
        holder: LockInfo | None = None
        with self._errors("SET NX"):
            for _ in range(CAS_ATTEMPTS):
                new = LockInfo.new(owner, ttl)
                value = encode_record(new)
                if self.client.set(key, value.encode(), nx=True, px=_milliseconds(ttl)):
                    return RedisLock(self, new.with_raw(value), ttl)
                holder = self._read_lock()
                if holder is None:
                    continue  # it expired in between
                if holder.started_at is None or not holder.is_stale():
                    raise LockHeld(holder)
                # Still present although its record expired (clocks apart, or written without a TTL): take it over.
                if self._swap_raw(holder.raw or "", value, ttl):
                    warn_stale_deleted(holder)
                    return RedisLock(self, new.with_raw(value), ttl)
        raise LockHeld(holder)

    def lock_status(self) -> LockInfo | None:
        """The lock's record (a value Moose wrote is reported with the key's remaining TTL as expiry)."""
        with self._errors("GET"):
            return self._read_lock()

    def force_release_lock(self, expected: LockInfo | None = None) -> LockInfo | None:
        """Delete the lock (only if it still holds ``expected``); return what was deleted."""
        with self._errors("DEL"):
            for _ in range(CAS_ATTEMPTS):
                current = self._read_lock()
                if current is None or (expected is not None and current.raw != expected.raw):
                    return None
                if self.client.eval(DELETE_IF_SCRIPT, 1, self.key(LOCK_NAME), (current.raw or "").encode()):
                    return current
                if expected is not None:
                    return None
        return None

    def swap_lock(self, current: LockInfo, new: LockInfo, ttl: float) -> str | None:
        """Replace the lock by ``new`` (expiring in ``ttl`` s) if it still holds ``current``; its value or None."""
        value = encode_record(new)
        with self._errors("EVAL"):
            return value if self._swap_raw(current.raw or "", value, ttl) else None

    def _swap_raw(self, old: str, new: str, ttl: float) -> bool:
        return bool(self.client.eval(SWAP_SCRIPT, 1, self.key(LOCK_NAME), old.encode(), new.encode(),
                                     _milliseconds(ttl)))

    def _read_lock(self) -> LockInfo | None:
        with self.client.pipeline(transaction=True) as pipe:
            raw, pttl = pipe.get(self.key(LOCK_NAME)).pttl(self.key(LOCK_NAME)).execute()
        if raw is None:
            return None
        value = _text(raw)
        try:
            return decode_record(value)
        except ValueError:  # Moose's value: its instance id, with the key's TTL as the only expiry
            expires = utc_now() + timedelta(milliseconds=pttl) if isinstance(pttl, int) and pttl >= 0 else None
            return LockInfo(owner=value, started_at=None, expires_at=expires, raw=value)

    # -- helpers -----------------------------------------------------------------------------------------

    def _get_with_fallback(self, name: str) -> tuple[str, str] | None:
        with self._errors("GET"):
            for key in dict.fromkeys((self.key(name), self.last_key(name))):
                raw = self.client.get(key)
                if raw is not None:
                    return key, _text(raw)
        return None

    @contextlib.contextmanager
    def _errors(self, command: str) -> Iterator[None]:
        """Turn redis-py's connection, authentication and server errors into :class:`ConnectionFailed`."""
        import redis

        try:
            yield
        except redis.AuthenticationError as exc:
            raise ConnectionFailed(
                f"Redis at {mask_url(self.url)} refused the credentials ({mask_text(str(exc))})",
                "check the user name and password in redis_config.url (MUSKOX_REDIS_CONFIG__URL)",
            ) from None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise self._unreachable(exc) from None
        except redis.ResponseError as exc:
            raise ConnectionFailed(
                f"Redis at {mask_url(self.url)} rejected {command} ({mask_text(str(exc))})",
                f"check that redis_config.url names a Redis server and that its user may run {command}",
            ) from None

    def _unreachable(self, exc: Exception) -> ConnectionFailed:
        """Why the server could not be spoken to: nothing listening, or a server that is running but speaks
        TLS where the URL does not (or the reverse)."""
        where, detail = mask_url(self.url), mask_text(str(exc))
        address = _address(self.client)
        if address is None or not port_open(*address):
            return ConnectionFailed(
                f"cannot reach Redis at {where} ({detail})",
                "start Redis, or point redis_config.url (MUSKOX_REDIS_CONFIG__URL) at a running server",
            )
        if self.url.lower().startswith("rediss://"):
            return ConnectionFailed(
                f"Redis at {where} accepts connections but the TLS handshake failed ({detail})",
                "the server does not speak TLS on this port: use redis:// (or the server's TLS port)",
            )
        return ConnectionFailed(
            f"Redis at {where} accepts connections but closed this one or never answered ({detail})",
            "if the server requires TLS, use rediss://; otherwise check that this port is Redis's",
        )


def _address(client: Any) -> tuple[str, int] | None:
    """The host and port redis-py connects to (None for a Unix socket)."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    host, port = kwargs.get("host"), kwargs.get("port")
    return (str(host), int(port)) if host and port else None


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class RedisLock(Lock):
    """The ``<prefix>::migration_lock`` key held by this process."""

    def __init__(self, store: RedisStateStore, info: LockInfo, ttl: float) -> None:
        super().__init__(info, ttl)
        self.store = store

    def _swap(self, current: LockInfo, new: LockInfo) -> str | None:
        return self.store.swap_lock(current, new, self.ttl)

    def _delete(self, current: LockInfo) -> bool:
        return self.store.force_release_lock(current) is not None


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
