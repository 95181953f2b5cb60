"""muskox-state-redis: the muskox state store and migration lock in Redis."""

from __future__ import annotations

from muskox_state_redis.store import RedisStateStore

__all__ = ["RedisStateStore"]
