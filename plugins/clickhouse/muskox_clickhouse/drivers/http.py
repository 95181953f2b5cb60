"""HTTP and HTTPS through clickhouse-connect, ClickHouse's official Python driver (imported with this module).

One clickhouse-connect client serves everything: the connection check (the client's own handshake reads the
server's version and settings, so refused credentials and a missing database fail here), :meth:`HttpClient.command`,
:meth:`HttpClient.query` and :meth:`HttpClient.select_rows`. It speaks in one ClickHouse session, so a ``SET`` sent
as a command lasts for the client's lifetime, and it owns a dedicated connection pool that :meth:`HttpClient.close`
closes (clickhouse-connect's shared pool would keep idle keep-alive connections open, which delays a server's
shutdown).

- TLS: ``https://`` URLs, ``?verify=false``, ``?ca_cert``, ``?client_cert`` and ``?client_cert_key`` (see
  :mod:`muskox_clickhouse.url`) become clickhouse-connect's ``verify``, ``ca_cert``, ``client_cert`` and
  ``client_cert_key``.
- Proxies: clickhouse-connect reads ``HTTP_PROXY`` / ``HTTPS_PROXY`` and ``NO_PROXY`` (exact host names) from the
  environment itself.
- Compression: answers are compressed for a remote server, not for a loopback one (where it costs more than it
  saves). Users who may not change settings (``readonly = 1``) are detected by clickhouse-connect, which then
  sends no settings of its own; settings a caller passes are still refused for them (``READONLY``).
- Commands are sent with ``wait_end_of_query``: a statement that fails after it began to answer is reported
  with the server's error code, never as a broken connection.
- The connection check is bounded by ``connect_timeout``; afterwards each statement may take ``query_timeout``.

Failures are :class:`muskox.errors.ConnectionFailed` or :class:`muskox_clickhouse.errors.ClickHouseServerError`
(see :mod:`muskox_clickhouse.errors`); credentials travel in an ``Authorization`` header, never in a URL or a
message. The driver's own logging is kept off stderr.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import clickhouse_connect
import clickhouse_connect.driver.httpclient
import urllib3
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError, ProgrammingError

from muskox._version import __version__ as muskox_version
from muskox.errors import ConfigError, MuskoxError
from muskox_clickhouse.client import ClickHouseClient, Settings
from muskox_clickhouse.errors import NATIVE_PORT_ANSWER, server_error, transport_error, wrong_port
from muskox_clickhouse.url import ClickHouseUrl

T = TypeVar("T")

# Keep the driver's own error logging off stderr (it would repeat what our error says); applications that
# configure logging still receive it.
logging.getLogger("clickhouse_connect").addHandler(logging.NullHandler())

#: ClickHouse's READONLY error: the user may not change this setting.
READONLY = 164
_READONLY_SETTING = re.compile(r"Setting (\S+) is readonly")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_FILE_PARAMETERS = {"ca_cert": "CA certificate", "client_cert": "client certificate",
                    "client_cert_key": "client certificate key"}


class HttpClient(ClickHouseClient):
    """One clickhouse-connect client in one ClickHouse session (``SET`` lasts for the client's lifetime).

    :param compress: ask the server to compress its answers; by default only a remote server is asked.
    """

    def __init__(self, url: ClickHouseUrl, *, use_database: bool, connect_timeout: float,
                 query_timeout: float, compress: bool | None = None) -> None:
        super().__init__(url, use_database=use_database, connect_timeout=connect_timeout,
                         query_timeout=query_timeout)
        self.session_id = str(uuid.uuid4())
        """The ClickHouse session every statement of this client runs in."""
        options = self._options(compress)
        try:
            client: Any = clickhouse_connect.get_client(**options)
        except ClickHouseError as exc:
            raise self._error(exc, connect_timeout) from exc
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            raise transport_error(url, exc, timeout=connect_timeout) from exc
        # The handshake ran with connect_timeout as its read timeout; statements get query_timeout.
        client.timeout = urllib3.Timeout(connect=connect_timeout, read=query_timeout)
        self._client: Any = client

    @property
    def compression(self) -> str | None:
        """The encodings the server may compress its answers with (``Accept-Encoding``); None: uncompressed."""
        return None if self._client is None else self._client.compression

    def _options(self, compress: bool | None) -> dict[str, Any]:
        url = self.url
        # clickhouse-connect truncates its timeouts to whole seconds (and rejects 0): round up.
        handshake_timeout = max(1, math.ceil(self.connect_timeout))
        options: dict[str, Any] = {
            "interface": "https" if url.secure else "http",
            "host": url.host, "port": url.port, "username": url.user, "password": url.password,
            "database": url.database if self.use_database else None,
            "session_id": self.session_id,
            "client_name": f"muskox/{muskox_version}",
            "compress": (url.host.lower() not in _LOOPBACK) if compress is None else compress,
            "connect_timeout": handshake_timeout, "send_receive_timeout": handshake_timeout,
        }
        if url.secure:
            options["verify"] = url.verify
            for key in _FILE_PARAMETERS:
                path = _certificate_file(url, key)
                if path is not None:
                    options[key] = path
            if url.client_cert and url.password:
                # The password authenticates the user; the certificate only serves TLS (without a password
                # clickhouse-connect asks ClickHouse to authenticate the user by the certificate).
                options["tls_mode"] = "strict"
        if _has_dedicated_pool():
            options["dedicated_pool"] = True
        return options

    def _error(self, exc: ClickHouseError, timeout: float) -> MuskoxError:
        if NATIVE_PORT_ANSWER in str(exc):  # an HTTP request to the native-protocol port
            return wrong_port(self.url)
        if isinstance(exc, ProgrammingError):
            match = _READONLY_SETTING.search(str(exc))
            if match is None:
                raise exc  # a misuse of the driver: a bug, shown with its traceback
            # clickhouse-connect refuses it before sending: report it as the server would
            return server_error(self.url, READONLY,
                                f"Cannot modify '{match.group(1)}' setting in readonly mode (READONLY)")
        code = getattr(exc, "code", None)
        if isinstance(code, int) and not isinstance(exc, OperationalError):
            return server_error(self.url, code, str(exc))
        return transport_error(self.url, exc, timeout=timeout)

    def _call(self, run: Callable[[], T]) -> T:
        try:
            return run()
        except ClickHouseError as exc:
            raise self._error(exc, self.query_timeout) from exc
        except (OSError, urllib3.exceptions.HTTPError) as exc:  # a stream broken while its rows were read
            raise transport_error(self.url, exc, timeout=self.query_timeout) from exc

    def query(self, sql: str, *, settings: Settings | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows as tuples (clickhouse-connect's typed values)."""
        result = self._call(lambda: self._client.query(sql, settings=dict(settings or {})))
        return [tuple(row) for row in result.result_rows]

    def command(self, sql: str, *, settings: Settings | None = None) -> None:
        """Run one statement for its effect, in the session; the server answers once it has finished."""
        self._call(lambda: self._client.command(sql, settings={**(settings or {}), "wait_end_of_query": 1}))

    def server_version(self) -> str:
        """The server's ``version()``, as read by the connection check."""
        return str(self._client.server_version)

    def close(self) -> None:
        """Close the client's connections. Safe to call twice."""
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _certificate_file(url: ClickHouseUrl, key: str) -> str | None:
    """The path given by ``?key=`` (``~`` expanded), checked to be a readable file; ``certifi`` passes as is."""
    value: str | None = getattr(url, key)
    if value is None or (key == "ca_cert" and value == "certifi"):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"the {_FILE_PARAMETERS[key]} file '{value}' (?{key}= in the URL {url.masked()}) does not exist",
            f"give the path of a PEM file in ?{key}= (relative paths start from the working directory)",
        )
    return str(path)


def _has_dedicated_pool() -> bool:
    return "dedicated_pool" in inspect.signature(clickhouse_connect.driver.httpclient.HttpClient).parameters
