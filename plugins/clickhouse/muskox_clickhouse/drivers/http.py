"""HTTP and HTTPS: typed queries through clickhouse-connect, everything else through the standard library.

Connecting (the check that the server answers), :meth:`HttpClient.command` and :meth:`HttpClient.select_rows`
use :class:`muskox_clickhouse.drivers.http_wire.HttpWire`; clickhouse-connect is imported, and its client
created, only when the first :meth:`HttpClient.query` runs (its typed rows: dates, decimals, …). Reading a
schema and applying a plan therefore never load the full driver. Both speak in one ClickHouse session, so a
``SET`` sent as a command applies to later commands and queries alike.
"""

from __future__ import annotations

import logging
import math
import uuid
from typing import Any

from muskox.errors import MuskoxError
from muskox_clickhouse.client import ClickHouseClient, Settings
from muskox_clickhouse.drivers.http_wire import HttpWire
from muskox_clickhouse.errors import server_error, transport_error
from muskox_clickhouse.url import ClickHouseUrl

# Keep the driver's own error logging off stderr (it would repeat, unmasked, what our error says);
# applications that configure logging still receive it.
logging.getLogger("clickhouse_connect").addHandler(logging.NullHandler())


class HttpClient(ClickHouseClient):
    """One ClickHouse HTTP session (``SET`` lasts for the client's lifetime) for commands and queries;
    :meth:`select_rows` reads outside it."""

    def __init__(self, url: ClickHouseUrl, *, use_database: bool, connect_timeout: float,
                 query_timeout: float) -> None:
        super().__init__(url, use_database=use_database, connect_timeout=connect_timeout,
                         query_timeout=query_timeout)
        self._client: Any = None
        self._wire = HttpWire(url, use_database=use_database, connect_timeout=connect_timeout,
                              query_timeout=query_timeout, session_id=str(uuid.uuid4()))
        try:
            self._wire.check()
        except BaseException:
            self._wire.close()
            raise

    def _driver(self) -> Any:
        """The clickhouse-connect client, created (and the driver imported) on first use."""
        if self._client is None:
            import clickhouse_connect
            from clickhouse_connect.driver.exceptions import ClickHouseError

            options: dict[str, Any] = {
                "host": self.url.host, "port": self.url.port, "username": self.url.user,
                "password": self.url.password, "secure": self.url.secure, "verify": self.url.verify,
                # clickhouse-connect truncates timeouts to whole seconds (and rejects 0): round up.
                "connect_timeout": max(1, math.ceil(self.connect_timeout)),
                "send_receive_timeout": max(1, math.ceil(self.query_timeout)),
                "session_id": self._wire.session_id,
            }
            if self.use_database:
                options["database"] = self.url.database
            if _has_dedicated_pool():
                # Our own connection pool, closed with the client: the shared default pool keeps idle keep-alive
                # connections open, which delays a server's shutdown (ClickHouse waits for them up to 5 s).
                options["dedicated_pool"] = True
            try:
                self._client = clickhouse_connect.get_client(**options)
            except ClickHouseError as exc:
                raise self._translate(exc, self.connect_timeout) from exc
        return self._client

    def _translate(self, exc: Exception, timeout: float) -> MuskoxError:
        from clickhouse_connect.driver.exceptions import OperationalError

        code = getattr(exc, "code", None)
        if isinstance(code, int) and not isinstance(exc, OperationalError):
            return server_error(self.url, code, str(exc))
        return transport_error(self.url, exc, timeout=timeout)

    def query(self, sql: str, *, settings: Settings | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows as tuples."""
        from clickhouse_connect.driver.exceptions import ClickHouseError

        client = self._driver()
        try:
            result = client.query(sql, settings=dict(settings or {}))
        except ClickHouseError as exc:
            raise self._translate(exc, self.query_timeout) from exc
        return [tuple(row) for row in result.result_rows]

    def command(self, sql: str, *, settings: Settings | None = None) -> None:
        """Run one statement for its effect, in the session."""
        self._wire.execute(sql, settings)

    def select_rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a ``SELECT`` of strings and integers, read without clickhouse-connect (outside the
        session: ``SET`` does not apply)."""
        return self._wire.rows(sql)

    def close(self) -> None:
        """Close the HTTP connections. Safe to call twice."""
        self._wire.close()
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _has_dedicated_pool() -> bool:
    import inspect

    import clickhouse_connect.driver.httpclient

    return "dedicated_pool" in inspect.signature(clickhouse_connect.driver.httpclient.HttpClient).parameters
