"""The muskox plugin of muskox-state-keeper: registers the ``clickhouse`` state store.

Importing this module imports no driver; the ClickHouse client loads when the store first connects.
"""

from __future__ import annotations

from collections.abc import Callable

from muskox import hookimpl
from muskox.plugin.interfaces import StateStore
from muskox_state_keeper.store import KeeperStateStore


@hookimpl
def muskox_register_state_stores(register: Callable[[str, type[StateStore]], None]) -> None:
    """Register :class:`~muskox_state_keeper.store.KeeperStateStore` as ``clickhouse``."""
    register("clickhouse", KeeperStateStore)
