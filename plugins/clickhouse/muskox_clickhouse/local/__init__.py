"""The embedded local ClickHouse: a real ClickHouse 26.9 from the chdb-core wheel, as a loopback server.

``muskox local start`` (and tests, through :class:`LocalClickHouse`) run it in a detached process that serves
HTTP and the native protocol on 127.0.0.1. Only that process imports chdb; importing this package is cheap.
Requires the optional extra ``muskox-clickhouse[local]`` (``chdb-core==26.9.0``).

KeeperMap tables keep their data in an in-memory test keeper: it is lost when the server stops, and existing
KeeperMap tables report invalid metadata after a restart (drop and recreate them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from muskox.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from muskox_clickhouse.local.launcher import LocalClickHouse, PortInUse, ServerStartFailed, check_chdb
    from muskox_clickhouse.local.layout import DEFAULT_HTTP_PORT, DEFAULT_TCP_PORT, LOOPBACK, default_data_dir
    from muskox_clickhouse.local.state import RunningServer, ServerStatus

_EXPORTS = {
    "LocalClickHouse": "muskox_clickhouse.local.launcher", "PortInUse": "muskox_clickhouse.local.launcher",
    "ServerStartFailed": "muskox_clickhouse.local.launcher", "check_chdb": "muskox_clickhouse.local.launcher",
    "DEFAULT_HTTP_PORT": "muskox_clickhouse.local.layout", "DEFAULT_TCP_PORT": "muskox_clickhouse.local.layout",
    "LOOPBACK": "muskox_clickhouse.local.layout", "default_data_dir": "muskox_clickhouse.local.layout",
    "RunningServer": "muskox_clickhouse.local.state", "ServerStatus": "muskox_clickhouse.local.state",
}
"""Public name → its module, imported on first use (the CLI registers ``muskox local`` without loading it)."""

__all__ = [
    "DEFAULT_HTTP_PORT",
    "DEFAULT_TCP_PORT",
    "LOOPBACK",
    "LocalClickHouse",
    "PortInUse",
    "RunningServer",
    "ServerStartFailed",
    "ServerStatus",
    "check_chdb",
    "default_data_dir",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
