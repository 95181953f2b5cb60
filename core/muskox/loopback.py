"""Loopback ports: is one free, does something listen on it, and waiting for a condition (used by the local
servers muskox starts and by the test fixtures)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable

__all__ = ["LOOPBACK", "port_free", "port_open", "wait_until"]

LOOPBACK = "127.0.0.1"


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


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; returns the last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
