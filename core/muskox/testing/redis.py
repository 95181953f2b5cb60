"""The ``redis_server`` fixture: a real ``redis-server`` on a free loopback port, stopped after the session.

The server keeps nothing on disk (``--save ""``, no append-only file) and runs in a temporary directory.
Readiness is a real ``PING`` answered with ``+PONG``, spoken over a plain socket so that this module needs
no Redis client library.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from muskox.errors import MuskoxError
from muskox.testing.processes import LOOPBACK, port_open, run_server

#: Environment variable naming a ``redis-server`` binary to use instead of the one on ``PATH``.
ENV_REDIS_SERVER = "MUSKOX_REDIS_SERVER"
INSTALL_FIX = "install it with `apt-get update && apt-get install -y redis-server` (Debian/Ubuntu)"
READY_TIMEOUT = 15.0
_FALLBACK_PATHS = ("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server")


class RedisServerError(MuskoxError):
    """The test Redis server could not be found or started."""


@attrs.frozen
class RedisServer:
    """A running Redis server: where it listens and where it logs."""

    host: str
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        """The server's URL, ``redis://127.0.0.1:PORT`` (no password, database 0)."""
        return f"redis://{self.host}:{self.port}"


def find_redis_server() -> Path:
    """The ``redis-server`` binary: ``$MUSKOX_REDIS_SERVER``, else ``PATH``, else the usual Debian places."""
    override = os.environ.get(ENV_REDIS_SERVER)
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise RedisServerError(
            f"{ENV_REDIS_SERVER}={override} is not an executable file",
            f"point {ENV_REDIS_SERVER} at a redis-server binary, or unset it and {INSTALL_FIX}",
        )
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    for candidate in _FALLBACK_PATHS:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    raise RedisServerError("redis-server was not found on PATH", INSTALL_FIX)


def ping(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """True when the server on ``host:port`` answers ``PING`` with ``+PONG``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def answers_ping(port: int, host: str = LOOPBACK) -> bool:
    """True when ``host:port`` accepts connections and answers ``PING``."""
    return port_open(port, host) and ping(port, host)


def redis_argv(binary: Path, port: int, directory: Path) -> list[str]:
    """The command line of a throw-away server: loopback only, no persistence, in the foreground."""
    return [
        str(binary),
        "--port", str(port),
        "--bind", LOOPBACK,
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--daemonize", "no",
    ]


@contextlib.contextmanager
def run_redis(directory: Path) -> Iterator[RedisServer]:
    """Start a Redis server in ``directory``, yield it once it answers ``PING``, and always stop it.

    Raises :class:`RedisServerError` (with the install fix) when the binary is missing or will not start.
    A port taken between picking it and binding it is retried on another port.
    """
    binary = find_redis_server()
    with run_server("redis-server", lambda port: redis_argv(binary, port, directory), answers_ping, directory,
                    error=RedisServerError, fix=INSTALL_FIX, ready_timeout=READY_TIMEOUT) as (port, server):
        yield RedisServer(LOOPBACK, port, server.log_path)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real Redis server for the whole test session (``.url`` is ``redis://127.0.0.1:PORT``).

    Tests share it: use distinct key prefixes, or flush only keys you created.
    """
    with run_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server
