"""ClickHouse's HTTP interface spoken with the standard library: schema reads and DDL without clickhouse-connect.

Reading a schema takes a few ``SELECT`` statements on system tables, whose columns are strings and integers;
applying a plan sends DDL statements whose answers are empty. :class:`HttpWire` sends both as ClickHouse's HTTP
interface expects (the statement as the request body, the credentials in ``X-ClickHouse-User`` /
``X-ClickHouse-Key``, ``database``, ``session_id`` and settings as parameters). Importing this module costs a
few milliseconds where clickhouse-connect costs a hundred and more, and each request costs less: ``muskox plan``
and ``muskox migrate`` never load the full driver.

:meth:`HttpWire.rows` reads in ``JSONCompact``, named in the statement itself so that read-only users
(``readonly = 1``, who may not change settings) are served too, outside any session. Values come back as JSON
gives them (strings, numbers, booleans, None), 64-bit and wider integers (which ClickHouse quotes in JSON)
converted back to ``int``. :meth:`HttpWire.execute` runs a statement for its effect inside the wire's session
(when it has one), so a ``SET`` lasts for the session's lifetime.

Failures are the same errors as the full driver's: :class:`muskox.errors.ConnectionFailed` for the connection
and the credentials, :class:`muskox_clickhouse.errors.ClickHouseServerError` for a rejected statement. A
kept-alive connection the server closed while idle is reopened and the request sent once more (the server
never saw it), as clickhouse-connect does.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
import zlib
from collections.abc import Mapping
from typing import Any

from muskox.errors import MuskoxError
from muskox_clickhouse.errors import server_error, transport_error
from muskox_clickhouse.url import ClickHouseUrl

__all__ = ["HttpWire"]

_WIDE_INTEGER = re.compile(r"^(?:Nullable\()?U?Int(?:64|128|256)\)?$")
_CODE = re.compile(r"Code:\s*(\d+)")
#: How an error the server hit after it had started to answer shows in the answer.
_LATE_EXCEPTION = re.compile(r"^Code:\s*\d+\.\s*DB::Exception|__exception__", re.MULTILINE)
_ERROR_START = re.compile(r"Code:\s*\d+\.\s*DB::Exception")
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
#: Failures of a kept-alive connection the server closed meanwhile: the request is sent once more.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.BadStatusLine)


class HttpWire:
    """Statements over one kept-alive HTTP(S) connection to ``url`` (not thread-safe).

    :param use_database: run in ``url.database`` (it must exist); else in the server's default database.
    :param session_id: the ClickHouse session :meth:`execute` runs in (``None``: none, each statement alone).
    """

    def __init__(self, url: ClickHouseUrl, *, use_database: bool, connect_timeout: float,
                 query_timeout: float, session_id: str | None = None) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout
        self.session_id = session_id
        self._params: dict[str, str] = {"database": url.database} if use_database else {}
        self._headers = {"X-ClickHouse-User": url.user, "X-ClickHouse-Key": url.password,
                         "Content-Type": "text/plain; charset=utf-8"}
        self._connection: http.client.HTTPConnection | None = None

    def check(self) -> None:
        """Fail with :class:`muskox.errors.ConnectionFailed` unless the server answers a query (the credentials
        are accepted, the database exists); afterwards, ask a remote server to compress its answers unless the
        user may not change settings."""
        [(readonly,)] = self.rows("SELECT toUInt8(getSetting('readonly'))", timeout=self.connect_timeout)
        if readonly != 1 and self.url.host not in _LOOPBACK:
            self._params["enable_http_compression"] = "1"
            self._headers["Accept-Encoding"] = "gzip"

    def rows(self, sql: str, *, timeout: float | None = None) -> list[tuple[Any, ...]]:
        """The rows of one ``SELECT`` (no ``FORMAT`` clause of its own) as tuples, read outside the session."""
        body = sql.rstrip().rstrip(";") + "\nFORMAT JSONCompact"
        text = self._request(self._params, body, self.query_timeout if timeout is None else timeout)
        try:
            answer = json.loads(text)
        except ValueError:  # an exception the server appended after it had started to answer
            raise self._server_error(None, _late_error(text)) from None
        if "exception" in answer:
            raise self._server_error(None, str(answer["exception"]))
        wide = [index for index, column in enumerate(answer["meta"]) if _WIDE_INTEGER.match(column["type"])]
        rows = answer["data"]
        if wide:
            for row in rows:
                for index in wide:
                    if isinstance(row[index], str):
                        row[index] = int(row[index])
        return [tuple(row) for row in rows]

    def execute(self, sql: str, settings: Mapping[str, Any] | None = None, *,
                timeout: float | None = None) -> None:
        """Run one statement for its effect, in the session, with ``settings``; its answer is not read."""
        params = dict(self._params)
        if self.session_id is not None:
            params["session_id"] = self.session_id
        for name, value in (settings or {}).items():
            params[name] = _setting_value(value)
        text = self._request(params, sql, self.query_timeout if timeout is None else timeout)
        if _LATE_EXCEPTION.search(text):  # the server failed after it had started to answer
            raise self._server_error(None, _late_error(text))

    def _request(self, params: Mapping[str, str], sql: str, timeout: float) -> str:
        """POST ``sql``; the answer's text (decompressed), or the server's error raised."""
        path = "/?" + urllib.parse.urlencode(params) if params else "/"
        body = sql.encode()
        reused = self._connection is not None
        try:
            try:
                status, headers, data = self._send(path, body, timeout)
            except _STALE:
                if not reused:  # a new connection closed on us: the server may have run the statement
                    raise
                self.close()
                status, headers, data = self._send(path, body, timeout)
        except MuskoxError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise transport_error(self.url, exc, timeout=timeout) from exc
        if headers.get("content-encoding", "").lower() == "gzip":
            data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
        text = data.decode("utf-8", "replace")
        if status != 200:
            raise self._server_error(headers.get("x-clickhouse-exception-code"), text)
        return text

    def close(self) -> None:
        """Close the connection (the next query opens a new one). Safe to call twice."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    # -- the wire ------------------------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self.url.secure:
                import ssl  # only for TLS: a plain-HTTP command never loads it

                context = ssl.create_default_context()
                if not self.url.verify:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                    self.url.host, self.url.port, timeout=self.connect_timeout, context=context)
            else:
                connection = http.client.HTTPConnection(self.url.host, self.url.port, timeout=self.connect_timeout)
            connection.connect()
            self._connection = connection
        return self._connection

    def _send(self, path: str, body: bytes, timeout: float) -> tuple[int, dict[str, str], bytes]:
        connection = self._connect()
        assert connection.sock is not None
        connection.sock.settimeout(timeout)
        connection.request("POST", path, body=body, headers=self._headers)
        response = connection.getresponse()
        headers = {key.lower(): value for key, value in response.getheaders()}
        try:
            data = response.read()
        except http.client.IncompleteRead as exc:  # the server broke off its answer: an error it hit late?
            self.close()
            if not _LATE_EXCEPTION.search(exc.partial.decode("utf-8", "replace")):
                raise
            return response.status, headers, exc.partial
        if response.will_close:
            self.close()
        return response.status, headers, data

    def _server_error(self, code_header: str | None, text: str) -> MuskoxError:
        code = int(code_header) if code_header and code_header.isdigit() else None
        if code is None:
            match = _CODE.search(text)
            code = int(match.group(1)) if match else 0
        return server_error(self.url, code, text)


def _setting_value(value: Any) -> str:
    """A setting's value as an HTTP parameter (booleans as ``1`` / ``0``, as ClickHouse writes them)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _late_error(text: str) -> str:
    """The server's error at the end of an answer it broke off (the rows before it left out)."""
    starts = [match.start() for match in _ERROR_START.finditer(text)]
    return text[starts[-1]:] if starts else text[-2000:]
