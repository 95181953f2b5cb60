"""HTTP and HTTPS through clickhouse-connect (imported with this module, so import it only when needed)."""

from __future__ import annotations

import inspect
import logging
import math
from typing import Any

import clickhouse_connect
import clickhouse_connect.driver.httpclient
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError

from muskox.errors import MuskoxError
from muskox_clickhouse.client import ClickHouseClient, Settings
from muskox_clickhouse.errors import server_error, transport_error
from muskox_clickhouse.url import ClickHouseUrl

# Keep the driver's own error logging off stderr (it would repeat, unmasked, what our error says);
# applications that configure logging still receive it.
logging.getLogger("clickhouse_connect").addHandler(logging.NullHandler())

_HAS_DEDICATED_POOL = "dedicated_pool" in inspect.signature(clickhouse_connect.driver.httpclient.HttpClient).parameters


class HttpClient(ClickHouseClient):
    """A clickhouse-connect client (one HTTP session, so ``SET`` lasts for the client's lifetime)."""

    def __init__(self, url: ClickHouseUrl, *, use_database: bool, connect_timeout: float,
                 query_timeout: float) -> None:
        super().__init__(url, use_database=use_database, connect_timeout=connect_timeout,
                         query_timeout=query_timeout)
        options: dict[str, Any] = {
            "host": url.host, "port": url.port, "username": url.user, "password": url.password,
            "secure": url.secure, "verify": url.verify,
            # clickhouse-connect truncates timeouts to whole seconds (and rejects 0): round up.
            "connect_timeout": max(1, math.ceil(connect_timeout)),
            "send_receive_timeout": max(1, math.ceil(query_timeout)),
        }
        if use_database:
            options["database"] = url.database
        if _HAS_DEDICATED_POOL:
            # Our own connection pool, closed with the client: the shared default pool keeps idle keep-alive
            # connections open, which delays a server's shutdown (ClickHouse waits for them up to 5 s).
            options["dedicated_pool"] = True
        try:
            self._client: Any = clickhouse_connect.get_client(**options)
        except ClickHouseError as exc:
            raise self._translate(exc, connect_timeout) from exc

    def _translate(self, exc: ClickHouseError, timeout: float) -> MuskoxError:
        code = getattr(exc, "code", None)
        if isinstance(code, int) and not isinstance(exc, OperationalError):
            return server_error(self.url, code, str(exc))
        return transport_error(self.url, exc, timeout=timeout)

    def query(self, sql: str, *, settings: Settings | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows as tuples."""
        try:
            result = self._client.query(sql, settings=dict(settings or {}))
        except ClickHouseError as exc:
            raise self._translate(exc, self.query_timeout) from exc
        return [tuple(row) for row in result.result_rows]

    def command(self, sql: str, *, settings: Settings | None = None) -> None:
        """Run one statement for its effect."""
        try:
            self._client.command(sql, settings=dict(settings or {}))
        except ClickHouseError as exc:
            raise self._translate(exc, self.query_timeout) from exc

    def close(self) -> None:
        """Close the HTTP connection pool. Safe to call twice."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
