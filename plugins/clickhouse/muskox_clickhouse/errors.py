"""Driver failures turned into muskox's one-line errors.

- The server refused the credentials, the database does not exist, the server cannot be reached, resolved,
  spoken to over TLS, or did not answer in time: :class:`muskox.errors.ConnectionFailed` naming the masked
  URL and the fix.
- The server rejected a statement: :class:`ClickHouseServerError`, with ClickHouse's error code, its name when
  known, and the server's message.
"""

from __future__ import annotations

import re
import socket
import sys

from muskox.errors import ConnectionFailed, MuskoxError
from muskox.exit_codes import ExitCode
from muskox.masking import mask_text
from muskox_clickhouse.url import ClickHouseUrl

#: Server error codes meaning "these credentials are refused".
AUTH_CODES = frozenset({192, 193, 194, 516})  # UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, AUTHENTICATION_FAILED
UNKNOWN_DATABASE = 81

_NAME_AT_END = re.compile(r"\(([A-Z][A-Z0-9_]+)\)\s*$")
_TRAILERS = re.compile(r"\s*\((?:version [^)]*|for url [^)]*)\)\s*$")
_MAX_MESSAGE = 600

START_FIX = ("is the server running and is this its address? For a local one run `muskox local start`; "
             "otherwise correct the URL ([clickhouse_config] or --clickhouse-url)")


class ClickHouseServerError(MuskoxError):
    """ClickHouse rejected a statement: ``code`` is its error code, ``name`` e.g. ``SYNTAX_ERROR``."""

    exit_code = ExitCode.SERVER_ERROR

    def __init__(self, code: int, message: str, name: str | None = None) -> None:
        self.code = code
        self.name = name
        self.server_message = message
        label = f"{code} ({name})" if name else str(code)
        super().__init__(f"ClickHouse error {label}: {message}")


def clean_server_message(text: str) -> tuple[str, str | None]:
    """The server's message on one line, without ``Code: N. DB::Exception:`` and trailers; and the error name."""
    text = mask_text(text)
    if "server response:" in text:  # clickhouse-connect's wrapper
        text = text.split("server response:", 1)[1]
    text = text.strip()
    text = re.sub(r"^Code:\s*\d+\.\s*", "", text)
    text = re.sub(r"^DB::Exception:\s*", "", text)
    text = text.split("\n\n", 1)[0]  # drop advice paragraphs (the authentication message has several)
    text = " ".join(text.split())
    while True:
        stripped = _TRAILERS.sub("", text)
        if stripped == text:
            break
        text = stripped
    name = None
    match = _NAME_AT_END.search(text)
    if match:
        name = match.group(1)
        text = text[: match.start()].rstrip().rstrip(".")
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + " …"
    return text, name


def server_error(url: ClickHouseUrl, code: int, raw_message: str, *, name: str | None = None) -> MuskoxError:
    """The error for a server exception: credentials and unknown database are connection failures."""
    message, found_name = clean_server_message(raw_message)
    if code in AUTH_CODES:
        return ConnectionFailed(
            f"ClickHouse at {url.masked()} refused the credentials of user '{url.user}'",
            "check the user and password (in the URL, or [clickhouse_config] user and password)",
        )
    if code == UNKNOWN_DATABASE and f"Database {url.database} does not exist" in message:
        return ConnectionFailed(
            f"database '{url.database}' does not exist on ClickHouse at {url.masked()}",
            f"create it (CREATE DATABASE {url.database}), or correct the database in the URL or db_name",
        )
    return ClickHouseServerError(code, message, name or found_name)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


#: What ClickHouse's native-protocol port answers to an HTTP request.
NATIVE_PORT_ANSWER = "is for clickhouse-client program"


def wrong_port(url: ClickHouseUrl) -> ConnectionFailed:
    """The error for a URL whose protocol is not the one spoken on its port (HTTP on the native port, or the
    native protocol on the HTTP port)."""
    where = f"ClickHouse at {url.masked()}"
    if url.protocol == "http":
        return ConnectionFailed(
            f"port {url.port} of {where} is ClickHouse's native-protocol port, not its HTTP interface",
            f"use clickhouse://{_host(url)}:{url.port}/{url.database} for the native protocol, or the HTTP port "
            "(8123 by default; 18123 for `muskox local`) with http://",
        )
    return ConnectionFailed(
        f"port {url.port} of {where} did not answer in ClickHouse's native protocol (is it the HTTP port?)",
        f"use http://{_host(url)}:{url.port}/{url.database} for the HTTP interface, or the native port (9000 by "
        "default; 19000 for `muskox local`) with clickhouse://",
    )


def _host(url: ClickHouseUrl) -> str:
    return f"[{url.host}]" if ":" in url.host else url.host


def transport_error(url: ClickHouseUrl, exc: BaseException, *, timeout: float) -> ConnectionFailed:
    """The error for a failure below the ClickHouse protocol: refused, unresolvable, TLS, timeout, wrong port,
    other."""
    chain = _causes(exc)
    text = " ".join(str(e) for e in chain)
    where = f"ClickHouse at {url.masked()}"
    if NATIVE_PORT_ANSWER in text:
        return wrong_port(url)
    if any(isinstance(e, socket.gaierror) for e in chain) or "Failed to resolve" in text:
        return ConnectionFailed(f"cannot resolve the host '{url.host}' of {where}",
                                "check the host name in the URL or [clickhouse_config] host")
    ssl = sys.modules.get("ssl")  # without the module loaded no TLS error can have happened (it costs to load)
    if ssl is not None and any(isinstance(e, ssl.SSLError) for e in chain):
        reason = next((str(e) for e in chain if isinstance(e, ssl.SSLError)), "")
        return ConnectionFailed(
            f"TLS with {where} failed ({mask_text(reason)})",
            "use https:// or a TLS port only if the server speaks TLS there (or ?verify=false for a self-signed "
            "certificate)",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return ConnectionFailed(f"{where} refused the connection", START_FIX)
    if any(isinstance(e, TimeoutError | socket.timeout) for e in chain) or "timed out" in text:
        return ConnectionFailed(
            f"{where} did not answer within {timeout:g} s",
            "check the host and port (is it the right port for this protocol?) and any firewall in between",
        )
    detail = mask_text(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
    return ConnectionFailed(f"cannot talk to {where} ({detail})", START_FIX)
