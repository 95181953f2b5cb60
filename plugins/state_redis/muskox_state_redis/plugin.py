"""The muskox plugin of muskox-state-redis: registers the ``redis`` state store.

Importing this module does not import redis-py; the store imports it when it is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from muskox import hookimpl
from muskox.plugin.interfaces import StateStore
from muskox_state_redis.store import RedisStateStore


@hookimpl
def muskox_register_state_stores(register: Callable[[str, type[StateStore]], None]) -> None:
    """Register :class:`~muskox_state_redis.store.RedisStateStore` as ``redis``."""
    register("redis", RedisStateStore)


@hookimpl
def muskox_register_config_sections(register: Callable[[str, type[Any]], None]) -> None:
    """Declare ``[redis_config]`` (url, key_prefix, last_key_prefix), the store's section."""
    from muskox.config import RedisConfig

    register("redis_config", RedisConfig)
