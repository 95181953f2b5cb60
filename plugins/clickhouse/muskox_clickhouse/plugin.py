"""The muskox entry point of muskox-clickhouse: registers the ``clickhouse`` OLAP backend.

Importing this module imports no database driver; they load when a connection is opened.
"""

from __future__ import annotations

from collections.abc import Callable

from muskox import hookimpl
from muskox.plugin.interfaces import OlapBackend
from muskox_clickhouse.backend import ClickHouseBackend


@hookimpl
def muskox_register_olap_backends(register: Callable[[str, type[OlapBackend]], None]) -> None:
    """Register :class:`ClickHouseBackend` as ``clickhouse``."""
    register("clickhouse", ClickHouseBackend)
