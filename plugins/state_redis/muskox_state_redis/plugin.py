"""The muskox plugin of muskox-state-redis: registers the ``redis`` state store.

Importing this module does not import redis-py; the store imports it when it is opened.
"""

from __future__ import annotations

from collections.abc import Callable

from muskox import hookimpl
from muskox.plugin.interfaces import StateStore
from muskox_state_redis.store import RedisStateStore


@hookimpl
def muskox_register_state_stores(register: Callable[[str, type[StateStore]], None]) -> None:
    """Register :class:`~muskox_state_redis.store.RedisStateStore` as ``redis``."""
    register("redis", RedisStateStore)
