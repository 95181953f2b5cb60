"""The ``clickhouse_server`` fixture: a real ClickHouse 26.9 (from chdb-core) for the whole test session.

It runs through the same launcher as ``muskox local start``, on free loopback ports, in a temporary data
directory, and is always stopped at the end of the session. A server that cannot start fails the tests with
the reason and the server's log tail; nothing is skipped. Importing this module does not import chdb or any
database driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from muskox.local import LocalClickHouse, PortInUse, RunningServer, ServerStartFailed
from muskox.testing.processes import free_port

_START_ATTEMPTS = 3


def _two_free_ports() -> tuple[int, int]:
    http_port = free_port()
    tcp_port = free_port()
    while tcp_port == http_port:
        tcp_port = free_port()
    return http_port, tcp_port


def start_clickhouse(data_dir: Path, attempts: int = _START_ATTEMPTS) -> tuple[LocalClickHouse, RunningServer]:
    """Start a server in ``data_dir`` on free ports; a port taken in the meantime is retried on new ones.

    Raises the launcher's :class:`muskox.errors.LocalServerError` when the server cannot start.
    """
    last_error: PortInUse | ServerStartFailed | None = None
    for _ in range(attempts):
        local = LocalClickHouse(data_dir, *_two_free_ports())
        try:
            return local, local.start()
        except (PortInUse, ServerStartFailed) as exc:  # most likely a port race with another process
            last_error = exc
    assert last_error is not None
    raise last_error


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A running ClickHouse 26.9 shared by the session: ``.http_url``, ``.native_url``, ports, ``.pid``.

    User ``default`` without password, loopback only. The ``default`` database has the ``Overlay`` engine (a
    clickhouse-local quirk), so tests create their own databases, with names unique to the test.
    """
    local, server = start_clickhouse(tmp_path_factory.mktemp("clickhouse"))
    try:
        yield server
    finally:
        local.stop()
