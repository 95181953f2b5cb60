"""The state-store contract against a real Redis; each test uses its own key prefix."""

from __future__ import annotations

import pytest

from muskox.config import Config, RedisConfig, StateConfig
from muskox.testing.redis import RedisServer
from muskox.testing.state_contract import MakeConfig, StateStoreContract


class TestRedisStore(StateStoreContract):
    store_name = "redis"
    expires_by_itself = True  # the key's PX deletes an expired lock

    @pytest.fixture
    def make_config(self, redis_server: RedisServer) -> MakeConfig:
        return lambda namespace: Config(
            redis_config=RedisConfig(url=redis_server.url, key_prefix=namespace, last_key_prefix=namespace),
            state_config=StateConfig(storage="redis"),
        )
