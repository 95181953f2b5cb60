"""The ``redis_server`` fixture gives a real Redis, and the plugin registers the ``redis`` state store."""

from __future__ import annotations

import uuid

import redis

from muskox.plugin.manager import Plugins
from muskox.testing.redis import RedisServer, ping
from muskox_state_redis.store import RedisStateStore


def test_fixture_values(redis_server: RedisServer) -> None:
    assert redis_server.host == "127.0.0.1"
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}"
    assert ping(redis_server.port)


def test_ping_set_get_through_redis_py(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.ping() is True
        key = f"muskox_test::{uuid.uuid4().hex}"
        assert client.set(key, b"value", ex=60)
        assert client.get(key) == b"value"
        assert client.delete(key) == 1
    finally:
        client.close()


def test_server_keeps_nothing_on_disk(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("bind")["bind"] == "127.0.0.1"
    finally:
        client.close()


def test_plugin_registers_the_redis_state_store() -> None:
    assert Plugins.load(env={}).state_store("redis") is RedisStateStore
