"""Small network checks against loopback ports: is a port free, open, answering ClickHouse's ``/ping``."""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
import urllib.parse
from collections.abc import Callable

from muskox.local.layout import LOOPBACK


def port_free(port: int, host: str = LOOPBACK) -> bool:
    """True when a server could listen on ``host:port`` right now.

    The probe sets ``SO_REUSEADDR`` like ClickHouse does, so connections lingering in TIME_WAIT after a
    stop do not count as "in use"; a listening socket (or one bound without that option) does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.2) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


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


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; returns the last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
