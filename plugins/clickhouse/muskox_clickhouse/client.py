"""One small client interface over both ClickHouse protocols, chosen by the URL's scheme.

``http://`` and ``https://`` go through clickhouse-connect, every statement of them, ``clickhouse://`` through
asynch (async, run on a private event loop): one driver per protocol. Drivers are imported when they are first
needed, never when this module is imported.
Failures become :class:`muskox.errors.ConnectionFailed` or
:class:`muskox_clickhouse.errors.ClickHouseServerError` (see :mod:`muskox_clickhouse.errors`).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping
from typing import Any, Self

from muskox.logs.records import CONNECT, EVENT_ATTRIBUTE
from muskox_clickhouse.url import ClickHouseUrl

log = logging.getLogger("muskox.clickhouse")

#: Seconds to wait for a connection to open.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Seconds one statement may run (DDL on big tables can take a while).
DEFAULT_QUERY_TIMEOUT = 300.0

Settings = Mapping[str, Any]


class ClickHouseClient(abc.ABC):
    """A connection to one ClickHouse server. Not thread-safe: use one client per thread."""

    def __init__(self, url: ClickHouseUrl, *, use_database: bool, connect_timeout: float,
                 query_timeout: float) -> None:
        self.url = url
        """Where this client is connected (print it with ``url.masked()``)."""
        self.use_database = use_database
        """Whether unqualified names resolve in ``url.database`` (else in the server's default)."""
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout

    @abc.abstractmethod
    def query(self, sql: str, *, settings: Settings | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows as tuples."""

    @abc.abstractmethod
    def command(self, sql: str, *, settings: Settings | None = None) -> None:
        """Run one statement for its effect (DDL, ``INSERT ... VALUES``, ``SET``), ignoring any result."""

    def select_rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a ``SELECT`` whose columns are strings and integers (system tables, for introspection).

        Both drivers read them as :meth:`query` does, in the client's session. A driver may override this with a
        cheaper way to read such rows, as long as the values are the same."""
        return self.query(sql)

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection. Safe to call twice."""

    def server_version(self) -> str:
        """The server's ``version()``, e.g. ``26.9.2.1``."""
        return str(self.select_rows("SELECT version()")[0][0])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load_driver(url: ClickHouseUrl) -> type[ClickHouseClient]:
    """Import the driver for ``url``'s protocol (the first time) and return its client class."""
    if url.protocol == "native":
        from muskox_clickhouse.drivers.native import NativeClient

        return NativeClient
    from muskox_clickhouse.drivers.http import HttpClient

    return HttpClient


def connect(url: ClickHouseUrl, *, use_database: bool = True, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
            query_timeout: float = DEFAULT_QUERY_TIMEOUT) -> ClickHouseClient:
    """Open a client for ``url`` (HTTP or native by its scheme) and check that the server answers.

    :param use_database: make ``url.database`` the session's current database (it must exist); with False the
        server's default database is current and SQL should qualify its names.
    :raises muskox.errors.ConnectionFailed: unreachable server, refused credentials, missing database.
    """
    server = url.masked()  # for the command log (`muskox logs`), also when the connection then fails
    log.info("connecting to %s", server, extra={EVENT_ATTRIBUTE: {"event": CONNECT, "server": server}})
    return load_driver(url)(url, use_database=use_database, connect_timeout=connect_timeout,
                            query_timeout=query_timeout)
