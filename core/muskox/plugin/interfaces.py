"""The interface classes plugins implement, chosen by name from configuration.

A plugin registers a subclass through a registration hook (see :mod:`muskox.plugin.hookspecs`); the core builds
instances with the class method ``from_config`` and talks to them only through the methods below. Drivers
are imported inside the implementations, never at module level, so the CLI starts fast.
"""

from __future__ import annotations

import abc
import logging
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Self

from muskox.state.lock_info import DEFAULT_LOCK_TTL

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from pathlib import Path

    from muskox.config import Config
    from muskox.model import InfraMap
    from muskox.model.extensions import Spec
    from muskox.model.operations import Operation
    from muskox.model.resources import Topic
    from muskox.plugin.dialect import Dialect
    from muskox.state.errors import LockLost
    from muskox.state.heartbeat import Heartbeat
    from muskox.state.lock_info import LockInfo

logger = logging.getLogger("muskox.state")


HISTORY_KEPT = 1000
"""How many migration-history entries a state store keeps at least (older ones may be dropped)."""


class _Connection(abc.ABC):
    """Something holding connections: closed explicitly or as a context manager."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. Safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class OlapBackend(_Connection):
    """A database of tables, views and materialized views (ClickHouse)."""

    #: A short description shown by ``muskox plugins``.
    description: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def dialect(cls) -> Dialect:
        """The backend's SQL dialect (:class:`muskox.plugin.dialect.Dialect`): how it quotes, writes types and
        engines, and which values it considers the same. Needs no connection; import it here, not at module
        level, so the CLI starts without it."""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        """Connect using ``config`` (``url`` from a command-line flag wins over the file)."""

    @abc.abstractmethod
    def server_version(self) -> str:
        """The server's version string; raises :class:`muskox.errors.ConnectionFailed` when unreachable."""

    def prefetch(self) -> None:
        """Optionally start reading what the next ``introspect()`` returns, in the background, so that the
        server's work overlaps the caller's (reading the code and the stored state). Never raises: a failure is
        raised by that ``introspect()``. The default does nothing."""

    def rehearse(self, operations: Sequence[Operation], current: InfraMap) -> list[str]:
        """Try ``operations`` (in order, the backend's own) on empty copies of the objects they touch, in a
        scratch area of the same server that is removed afterwards, and return one line per statement the server
        refused (what, and the server's error); nothing real is touched. ``current`` is the state the operations
        start from (the definitions to copy). The default rehearses nothing and finds no problem."""
        return []

    def begin_apply(self, operations: Sequence[Operation]) -> None:
        """Called once before a run's operations execute, with all of them: check what they need (every node
        of a cluster answering, say) and raise, and then nothing has run. The default does nothing."""

    def check_declarations(self, target: InfraMap) -> None:
        """Called with the code's declarations once they are read, by ``plan`` and ``generate migration``:
        raise a :class:`muskox.errors.ConfigError` (exit 3) for what the configuration cannot serve (a table
        naming a cluster the configuration does not list, say), naming what to add. Needs no connection. The
        default accepts everything."""

    def node_states(self) -> Mapping[str, Sequence[Mapping[str, Any]]] | None:
        """For ``ls --json`` and ``plan --json`` (their ``nodes`` section): when the backend spans several
        servers, per group of servers (a cluster), each server's JSON-ready state — where it is, whether it
        answers, whether its schema equals the others' and what differs. None (the default): one server.
        Reports instead of refusing: once called, the backend's ``introspect()`` no longer refuses to read
        because servers differ or do not answer (``ls --json`` calls it first, to list them all the same)."""
        return None

    @classmethod
    def local_server(cls, config: Config, project_dir: Path) -> LocalServer | None:
        """The server ``muskox dev`` runs on this machine when ``config`` names no server of its own (for
        ClickHouse: no ``url`` and a loopback ``host``), listening where ``config`` points so that
        :meth:`from_config` reaches it; None when ``config`` names a server or the backend has no local one (the
        default). Nothing is started yet: ``dev`` calls :meth:`LocalServer.start`."""
        return None


class LocalServer(abc.ABC):
    """A development server of an OLAP backend, on this machine (``muskox local``'s embedded ClickHouse)."""

    @abc.abstractmethod
    def start(self) -> bool:
        """Start the server and wait until it answers, or find it already running; True when this call started
        it (``dev`` then stops it when it ends). Raise a :class:`muskox.errors.MuskoxError` when it cannot."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the server (``dev`` calls it only for a server its :meth:`start` started)."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where it listens and keeps its data, for messages (after :meth:`start`)."""


class StreamBackend(_Connection):
    """A Kafka-protocol broker holding topics (Kafka, Redpanda)."""

    description: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        """Connect using ``[redpanda_config]`` (``url`` from a command-line flag wins)."""

    @abc.abstractmethod
    def list_topics(self) -> list[str]:
        """Names of the non-internal topics on the broker."""

    @abc.abstractmethod
    def introspect(self, names: Collection[str] | None = None) -> dict[str, Topic]:
        """The topics called ``names`` that exist (every non-internal topic when None), keyed by name.

        Each carries its partition count and the configuration values the broker reports (broker keys, through
        :meth:`muskox.model.resources.Topic.with_managed_configs`); the core keeps the keys it manages. Use a
        constant number of broker requests, whatever the number of topics.
        """

    @abc.abstractmethod
    def apply(self, operation: Operation) -> None:
        """Apply one topic operation (:mod:`muskox.model.topic_operations`) and wait for the broker's answer.

        Raise a :class:`muskox.errors.MuskoxError` whose message is one line naming the operation and the
        broker's refusal; the executor reports it with every operation's fate.
        """


class ResourceBackend(_Connection):
    """Applies the operations of an extra kind of object a plugin adds (registered with
    ``muskox_register_resource_backends`` under the name its operations give as their ``backend``)."""

    description: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Config) -> Self:
        """Build it from the effective configuration (its own section: ``config.section(name, cls)``); contact
        nothing yet."""

    @abc.abstractmethod
    def apply(self, operation: Operation) -> None:
        """Apply one of its operations and wait until it is done; raise a :class:`muskox.errors.MuskoxError`
        with a one-line message on refusal (the executor reports it with every operation's fate)."""

    # -- planned from declarations (optional: a kind whose operations are only written by hand skips these) --

    @classmethod
    def declared(cls, project_dir: Path, config: Config) -> Mapping[str, Spec] | None:
        """The objects of this kind the project declares, by name, each a JSON object (its specification),
        read after the project's code was imported (so a declaration API of the plugin has filled its registry);
        None (the default) when this kind is not planned from declarations."""
        return None

    @classmethod
    def plan(cls, current: Mapping[str, Spec], target: Mapping[str, Spec]) -> Sequence[Operation]:
        """The operations (of this kind) that turn ``current`` (the objects muskox manages or the code declares,
        as :meth:`introspect` reported them) into ``target`` (:meth:`declared`), in the order to run them."""
        return ()

    @classmethod
    def fold(cls, objects: Mapping[str, Spec], operation: Operation) -> Mapping[str, Spec]:
        """``objects`` (this kind's, by name) after ``operation``, without touching anything: how
        ``migrate`` checks a plan file reaches the code's state, and delta mode replays files. Raise ``KeyError``
        or ``ValueError`` when it does not apply (the object is missing, or exists already)."""
        raise ValueError(f"the '{cls.__name__}' backend cannot fold {type(operation).__name__}")

    def introspect(self, names: Collection[str]) -> Mapping[str, Spec]:
        """The objects among ``names`` that exist, by name, with their specifications in the form
        :meth:`declared` gives them (drift is equality of the two)."""
        return {}


class StateStore(_Connection):
    """Keeps the last applied state, the applied-migrations list and the migration lock.

    Built-in stores: ``clickhouse`` (a KeeperMap table, muskox-state-keeper), ``redis`` (muskox-state-redis) and
    ``file`` (a local directory, in the core). ``[state_config] storage`` picks one; a tenant's overrides pick the
    database, key prefix or directory, so two tenants' states and locks never mix.

    Every method may raise :class:`muskox.errors.ConnectionFailed` when the store cannot be reached. A store is
    used from one thread, except that the heartbeat of a held :class:`Lock` renews it from another thread:
    implementations must allow that.
    """

    description: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Config, *, dialect: Dialect, project_dir: Path | None = None) -> Self:
        """Open the store described by ``config`` (section ``[state_config]`` and the store's own section).

        :param dialect: the OLAP backend's dialect; the stored map encodes types through it
            (:func:`muskox.state.encoding.encode_state`).
        :param project_dir: the project directory; stores keeping files resolve relative paths against it
            (default: the directory of the config file that was read, else the current directory).
        Nothing needs to be contacted yet; :meth:`ping` checks the store.
        """

    @abc.abstractmethod
    def ping(self) -> None:
        """Check that the store is reachable; raises :class:`muskox.errors.ConnectionFailed` otherwise."""

    def where(self) -> str:
        """Where the store keeps things, for messages (credentials masked)."""
        return self.description or type(self).__name__

    def missing(self) -> str | None:
        """What does not exist where the store keeps things (``"database `d`"``, ``"table `d`.`t`"``), when a
        store that creates it on its first write has never been written there; None otherwise. Reads never create
        anything: such a store reads as empty. The default: None."""
        return None

    # -- state -------------------------------------------------------------------------------------------

    @abc.abstractmethod
    def load_state(self) -> InfraMap | None:
        """The last state saved with :meth:`save_state` (the newest one), or ``None`` when there is none.

        Raises :class:`muskox.state.StateError` when the stored state cannot be read.
        """

    @abc.abstractmethod
    def save_state(self, infra: InfraMap) -> None:
        """Store ``infra`` as the last applied state (after a successful migration)."""

    # -- delta mode: migration files applied ---------------------------------------------------------------

    @abc.abstractmethod
    def applied_migrations(self) -> list[str]:
        """Ids of the migration files applied so far, in the order they were applied (empty when none)."""

    @abc.abstractmethod
    def record_applied(self, migration_id: str) -> None:
        """Append ``migration_id`` to the applied list, as soon as its file succeeded. Recording an id that is
        already in the list changes nothing."""

    # -- the history of migrations ---------------------------------------------------------------------------

    def append_history(self, entry: str) -> None:
        """Append ``entry`` (one JSON document, see :mod:`muskox.apply.history`) to the migration history, keeping
        at least the newest :data:`HISTORY_KEPT` entries. The default raises NotImplementedError: a store without a
        history still migrates; ``muskox logs --history`` says it keeps none."""
        raise NotImplementedError(f"the {type(self).__name__} state store keeps no migration history")

    def history(self, limit: int = HISTORY_KEPT) -> list[str]:
        """The newest ``limit`` history entries, oldest first (empty when there are none). The default raises
        NotImplementedError, as :meth:`append_history` does."""
        raise NotImplementedError(f"the {type(self).__name__} state store keeps no migration history")

    # -- the migration lock --------------------------------------------------------------------------------

    @abc.abstractmethod
    def acquire_lock(self, owner: str, ttl: float = DEFAULT_LOCK_TTL) -> Lock:
        """Take the migration lock for ``owner`` (see :func:`muskox.state.default_owner`) for ``ttl`` seconds.

        Atomic: of many processes trying at once, exactly one wins. A lock whose expiry has passed is stale and
        is taken over, with the warning "Deleted stale migration lock from machine ...".

        :raises muskox.state.LockHeld: another owner holds a live lock (the error names it, its start and expiry).
        """

    @abc.abstractmethod
    def lock_status(self) -> LockInfo | None:
        """The lock as stored now (live or stale), or ``None`` when nobody holds it."""

    @abc.abstractmethod
    def force_release_lock(self, expected: LockInfo | None = None) -> LockInfo | None:
        """Delete the stored lock whoever holds it, and return what was deleted (``None``: there was none).

        With ``expected`` (a :meth:`lock_status` result), delete only if the stored lock is still exactly that
        one, and return ``None`` otherwise: a lock taken in between is never deleted by mistake.
        """


class Lock(abc.ABC):
    """The migration lock, held by this process: returned by :meth:`StateStore.acquire_lock`.

    Use it as a context manager: while inside, a heartbeat thread renews it every ``ttl / 3`` seconds, so a
    long ``ALTER`` never outlives it; on exit it is released. If the lock was lost meanwhile (expired and taken
    over, or force-released), :meth:`check` raises, and leaving the block without another error raises
    :class:`muskox.state.LockLost`.

    Stores implement the two owner-checked primitives :meth:`_swap` and :meth:`_delete`; this class does the
    rest. Every change compares the stored value with :attr:`info` first, so a lock is never renewed or
    deleted once it is someone else's.
    """

    def __init__(self, info: LockInfo, ttl: float) -> None:
        self.info = info
        """The lock as this process last wrote it."""
        self.ttl = ttl
        """Seconds each renewal extends the lock by."""
        self.released = False
        """True once :meth:`release` ran."""
        self.lost: LockLost | None = None
        """Set when a renewal found the lock gone."""
        self._mutex = threading.Lock()
        self._heartbeat: Heartbeat | None = None

    @abc.abstractmethod
    def _swap(self, current: LockInfo, new: LockInfo) -> str | None:
        """Atomically replace the stored lock by ``new`` if it is still ``current`` (compare ``current.raw``).

        Return the value now stored for ``new``, or ``None`` (and change nothing) when the stored lock is
        absent or different.
        """

    @abc.abstractmethod
    def _delete(self, current: LockInfo) -> bool:
        """Delete the stored lock if it is still ``current``; ``False`` (and delete nothing) otherwise."""

    def renew(self) -> LockInfo:
        """Extend the lock to ``ttl`` seconds from now; returns the renewed :attr:`info`.

        :raises muskox.state.LockLost: the lock was released, or is no longer this one (expired and taken over,
            or force-released).
        """
        from muskox.state.errors import LockLost

        with self._mutex:
            if self.released:
                raise LockLost(self.info, "it was already released")
            if self.lost is not None:
                raise self.lost
            new = self.info.renewed(self.ttl)
            stored = self._swap(self.info, new)
            if stored is None:
                self.lost = LockLost(self.info, "the stored lock is no longer this one (it expired and was taken "
                                                "over, or was released by force)")
                raise self.lost
            self.info = new.with_raw(stored)
            return self.info

    def release(self) -> bool:
        """Delete the lock if it is still this one; ``True`` when it was deleted. Never deletes another owner's
        lock. Safe to call twice (the second call does nothing and returns ``False``)."""
        with self._mutex:
            if self.released:
                return False
            self.released = True
            deleted = self._delete(self.info)
        if not deleted:
            logger.warning("the migration lock of %s was no longer held when it was released; nothing was deleted",
                           self.info.owner)
        return deleted

    def mark_lost(self, error: LockLost) -> None:
        """Record that the lock is lost (the heartbeat calls this when renewals failed until the expiry)."""
        with self._mutex:
            if self.lost is None:
                self.lost = error

    def check(self) -> None:
        """Raise :class:`muskox.state.LockLost` if the heartbeat found the lock lost; call between operations."""
        if self.lost is not None:
            raise self.lost

    def __enter__(self) -> Self:
        from muskox.state.heartbeat import Heartbeat

        self._heartbeat = Heartbeat(self, self.ttl / 3)
        self._heartbeat.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        try:
            self.release()
        except Exception as error:  # a failed release must not hide the block's own outcome; the lock expires
            logger.warning("could not release the migration lock of %s (%s); it expires by itself %s",
                           self.info.owner, error, self.info.describe_expiry())
        if exc_type is None and self.lost is not None:
            raise self.lost
