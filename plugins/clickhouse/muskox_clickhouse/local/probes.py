"""Small network checks against loopback ports: is a port free, open, answering ClickHouse's ``/ping``."""

from __future__ import annotations

import http.client
import urllib.parse

from muskox.loopback import port_free, port_open, wait_until
from muskox_clickhouse.local.layout import LOOPBACK

__all__ = ["http_get", "http_ping", "http_query", "port_free", "port_open", "wait_until"]


def http_get(port: int, path: str, host: str = LOOPBACK, timeout: float = 1.0) -> str | None:
    """The body of ``GET path`` when the answer is 200, else None (never raises; ignores proxy settings)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        return body if response.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def http_ping(port: int, host: str = LOOPBACK, timeout: float = 1.0) -> bool:
    """True when ClickHouse's HTTP interface on ``host:port`` answers ``GET /ping`` with ``Ok.``."""
    body = http_get(port, "/ping", host, timeout)
    return body is not None and body.strip() == "Ok."


def http_query(port: int, sql: str, host: str = LOOPBACK, timeout: float = 5.0) -> str | None:
    """Run a read-only query over HTTP as ``default``; the stripped body, or None on any failure."""
    body = http_get(port, "/?query=" + urllib.parse.quote(sql), host, timeout)
    return body.strip() if body is not None else None


