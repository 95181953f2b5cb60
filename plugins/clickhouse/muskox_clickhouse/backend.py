"""The ``clickhouse`` OLAP backend: a ClickHouse server reached by URL over HTTP or the native protocol."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import attrs

from muskox.plugin.interfaces import OlapBackend
from muskox_clickhouse.client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_QUERY_TIMEOUT,
    ClickHouseClient,
    connect,
    load_driver,
)
from muskox_clickhouse.url import ClickHouseUrl, resolve_url

if TYPE_CHECKING:
    from pathlib import Path

    from muskox.config import Config
    from muskox.forked import ForkedCall
    from muskox.model import InfraMap
    from muskox.model.operations import Operation
    from muskox.plugin.dialect import Dialect
    from muskox.plugin.interfaces import LocalServer
    from muskox_clickhouse.apply import ClickHouseApplier
    from muskox_clickhouse.cluster.applier import ClusterApplier
    from muskox_clickhouse.cluster.support import ClusterSupport


class ClickHouseBackend(OlapBackend):
    """ClickHouse through clickhouse-connect (``http://``, ``https://``) or asynch (``clickhouse://``).

    Nothing is contacted until :attr:`client` is first used (or :meth:`prefetch` is called). The client's
    session does not select :attr:`database` (which may not exist yet): SQL sent by the backend qualifies its
    names.
    """

    description = "ClickHouse over HTTP (clickhouse-connect) or the native protocol (asynch)"

    def __init__(self, url: ClickHouseUrl, *, additional_databases: Sequence[str] = (),
                 connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                 query_timeout: float = DEFAULT_QUERY_TIMEOUT) -> None:
        self.url = url
        self.additional_databases = tuple(additional_databases)
        """Other databases declared tables may live in (``[clickhouse_config] additional_databases``)."""
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout
        self.mutation_timeout: float | None = None
        """Seconds to wait for the mutations one statement starts (None: the applier's default)."""
        self._client: ClickHouseClient | None = None
        self._side: ClickHouseClient | None = None
        """A second connection for introspection: its other queries run beside the tables query."""
        self._applier: ClickHouseApplier | None = None
        self._prefetched: concurrent.futures.Future[InfraMap] | ForkedCall[InfraMap] | None = None
        self.clusters: ClusterSupport | None = None
        """``[[clickhouse_config.clusters]]`` (:mod:`muskox_clickhouse.cluster`), when any is configured."""

    @classmethod
    def dialect(cls) -> Dialect:
        """ClickHouse's SQL dialect (:class:`muskox_clickhouse.dialect.ClickHouseDialect`), imported on first use."""
        from muskox_clickhouse.dialect import CLICKHOUSE

        return CLICKHOUSE

    @classmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        """A backend for ``url`` (``--clickhouse-url``) when given, else for ``[clickhouse_config]``."""
        backend = cls(resolve_url(config, url), additional_databases=config.clickhouse_config.additional_databases)
        backend.mutation_timeout = float(config.migration_config.mutation_timeout)
        if config.clickhouse_config.clusters:
            from muskox_clickhouse.cluster.settings import ClusterSettings
            from muskox_clickhouse.cluster.support import ClusterSupport

            backend.clusters = ClusterSupport(ClusterSettings.from_config(config.clickhouse_config.clusters),
                                              backend.url)
        return backend

    @classmethod
    def local_server(cls, config: Config, project_dir: Path) -> LocalServer | None:
        """The embedded ClickHouse of ``muskox local`` (:mod:`muskox_clickhouse.local.embedded`) when ``config``
        names no server of its own (no ``url``, a loopback ``host``, no TLS); None otherwise."""
        from muskox_clickhouse.local.embedded import EmbeddedClickHouse, wants_local_server

        return EmbeddedClickHouse.for_config(config, project_dir) if wants_local_server(config) else None

    @property
    def applier(self) -> ClickHouseApplier | ClusterApplier:
        """Applies operations (thread-safe, its own connection per thread); see :mod:`muskox_clickhouse.apply`.
        Created on first use: a command that only reads never loads the DDL modules."""
        if self.clusters:
            return self.clusters.applier(self.url, self.client, connect_timeout=self.connect_timeout,
                                         query_timeout=self.query_timeout, mutation_timeout=self.mutation_timeout)
        if self._applier is None:
            from muskox_clickhouse.apply import ClickHouseApplier

            applier = ClickHouseApplier(self.url, connect_timeout=self.connect_timeout,
                                        query_timeout=self.query_timeout)
            if self.mutation_timeout is not None:
                applier.mutation_timeout = self.mutation_timeout
            self._applier = applier
        return self._applier

    @property
    def database(self) -> str:
        """The primary database: the URL's path, or ``[clickhouse_config] db_name``."""
        return self.url.database

    @property
    def client(self) -> ClickHouseClient:
        """The connection, opened on first use (raises :class:`muskox.errors.ConnectionFailed` if it cannot)."""
        if self._client is None:
            self._client = connect(self.url, use_database=False, connect_timeout=self.connect_timeout,
                                   query_timeout=self.query_timeout)
        return self._client

    @property
    def introspected_databases(self) -> tuple[str, ...]:
        """What :meth:`introspect` reads by default: :attr:`database` and :attr:`additional_databases` (the core
        adds the databases the code or the stored state name, see :mod:`muskox.plugin.databases`)."""
        return tuple(dict.fromkeys([self.database, *self.additional_databases]))

    def server_version(self) -> str:
        """The server's ``version()``, e.g. ``26.9.2.1``."""
        return self.client.server_version()

    def prefetch(self) -> None:
        """Start reading what :meth:`introspect` returns next, on connections of its own, so that the reading (the
        server's work and the parsing of its answers) overlaps the caller's (reading the code and the stored state).
        The reading runs in a forked child process where that is safe (:mod:`muskox.forked`: it then has a CPU of its
        own, and this process does not even import the driver), else in a background thread. The next
        :meth:`introspect` of the default databases returns that reading (or raises its error); later ones read
        afresh. Call it only when nothing changes the schema in between (e.g. under the migration lock)."""
        if self._prefetched is not None:
            return
        from muskox import forked

        databases = [self.database, *self.additional_databases]
        reading = forked.start(lambda: self._read_schema(databases))
        if reading is not None:
            self._prefetched = reading
            return
        # imported here, so that the thread imports nothing while the caller imports the project's code
        import muskox_clickhouse.introspect  # noqa: F401

        load_driver(self.url)
        future: concurrent.futures.Future[InfraMap] = concurrent.futures.Future()
        future.set_running_or_notify_cancel()  # running: a later cancel() leaves it to the thread to complete
        self._prefetched = future

        def read() -> None:
            try:
                future.set_result(self._read_schema(databases))
            except BaseException as exc:  # handed to introspect(), after whatever the caller does first
                future.set_exception(exc)

        threading.Thread(target=read, name="muskox-introspect", daemon=True).start()

    def _read_schema(self, databases: list[str]) -> InfraMap:
        """:func:`muskox_clickhouse.introspect.introspect` of ``databases`` on three connections of its own
        (:class:`muskox_clickhouse.schema_rows.SchemaFetch`): the queries go out as soon as the driver is loaded, and
        the schema model is loaded while the server answers."""
        load_driver(self.url)
        from muskox_clickhouse.schema_rows import FetchedRows, SchemaFetch

        def open_client() -> ClickHouseClient:
            return connect(self.url, use_database=False, connect_timeout=self.connect_timeout,
                           query_timeout=self.query_timeout)

        with SchemaFetch(open_client, databases) as fetch:
            import muskox_clickhouse.dictionary_sql  # noqa: F401 - loaded now, needed with the tables' answer
            from muskox_clickhouse.introspect import build_map, plain_columns_of

            plain_columns = plain_columns_of(fetch.others())
            rows = FetchedRows(fetch.tables(), fetch.others())
        return build_map(rows, self.database, plain_columns)

    def introspect(self, databases: Sequence[str] | None = None) -> InfraMap:
        """The tables, views and materialized views on the server, in four queries whatever their number (the
        tables query on :attr:`client`, the others beside it on a second connection).

        :param databases: the databases to read; by default :attr:`database` and :attr:`additional_databases`.
        """
        if self.clusters:  # every node alike (one clusterAllReplicas query), per_node nodes reachable
            self.clusters.check(self.client, databases or [self.database, *self.additional_databases])
        if self._prefetched is not None:
            prefetched, self._prefetched = self._prefetched, None
            if databases is None:
                return prefetched.result()
            prefetched.cancel()  # other databases asked for: the reading in advance is discarded (and stopped)
        if databases is None:
            databases = [self.database, *self.additional_databases]
        from muskox_clickhouse.introspect import introspect

        if self._side is None:
            self._side = connect(self.url, use_database=False, connect_timeout=self.connect_timeout,
                                 query_timeout=self.query_timeout)
        return introspect(self.client, databases, self.database, side=self._side)

    def begin_apply(self, operations: Sequence[Operation]) -> None:
        """Before a run: check that every cluster the operations name is configured and, with clusters, that
        every node of a ``per_node`` one answers (nothing executes otherwise); sets the ``[i/N]`` of each node."""
        if self.clusters:
            self.clusters.check_operations(operations, self.client)
            applier = self.applier
            applier.total = len([op for op in operations if op.backend == "olap"])  # type: ignore[union-attr]
        else:  # no cluster configured: an operation naming one cannot run
            from muskox_clickhouse.cluster.settings import ClusterSettings

            for operation in operations:
                ClusterSettings().mode_of(operation)

    def check_declarations(self, target: InfraMap) -> None:
        """Every cluster a table or dictionary of the code names is in ``[[clickhouse_config.clusters]]``
        (:meth:`muskox_clickhouse.cluster.settings.ClusterSettings.check_declared`); needs no connection."""
        from muskox_clickhouse.cluster.settings import ClusterSettings

        settings = self.clusters.settings if self.clusters is not None else ClusterSettings()
        settings.check_declared(target)

    def node_states(self) -> dict[str, list[dict[str, Any]]] | None:
        """With clusters configured, each node of each (:meth:`muskox_clickhouse.cluster.support.ClusterSupport.
        node_states`); None without. From then on, :meth:`introspect` no longer refuses to read because nodes
        differ or do not answer."""
        if not self.clusters:
            return None
        return self.clusters.node_states(self.client, [self.database, *self.additional_databases])

    def rehearse(self, operations: Sequence[Operation], current: InfraMap) -> list[str]:
        """Run ``operations`` on empty copies in scratch databases (:mod:`muskox_clickhouse.rehearse`)."""
        from muskox_clickhouse.rehearse import rehearse

        def open_session(database: str | None) -> ClickHouseClient:
            url = self.url if database is None else attrs.evolve(self.url, database=database)
            return connect(url, use_database=database is not None, connect_timeout=self.connect_timeout,
                           query_timeout=self.query_timeout)

        return rehearse(self.client, open_session, operations, current, self.database)

    def apply(self, operation: Operation) -> None:
        """Apply one operation and wait for the mutations it starts (the executor's ``apply_one``: thread-safe)."""
        self.applier.apply(operation)

    def close(self) -> None:
        """Close the connections, if any were opened. Safe to call twice (a :meth:`prefetch` still running closes
        its own connections when it ends; a forked one is stopped)."""
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None:
            prefetched.cancel()
        applier, self._applier = self._applier, None
        if applier is not None:
            applier.close()
        if self.clusters:
            self.clusters.close()
        for client in (self._client, self._side):
            if client is not None:
                client.close()
        self._client = self._side = None
