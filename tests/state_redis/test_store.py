"""RedisStateStore: opening from [redis_config], PING, key names, and one-line connection errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from muskox.config import Config, RedisConfig
from muskox.errors import ConfigError, ConnectionFailed
from muskox.testing.processes import free_port
from muskox.testing.redis import RedisServer
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_state_redis.store import RedisStateStore

SECRET = "S3cr3tPw"


def config_for(url: str, **kwargs: str) -> Config:
    return Config(redis_config=RedisConfig(url=url, **kwargs))


@pytest.fixture
def acl_user(redis_server: RedisServer) -> Iterator[str]:
    """A Redis ACL user whose password is ``SECRET`` (the default user stays password-less)."""
    name = f"muskox_{uuid.uuid4().hex[:8]}"
    admin = redis.Redis.from_url(redis_server.url)
    admin.execute_command("ACL", "SETUSER", name, "on", f">{SECRET}", "~*", "+@all")
    try:
        yield name
    finally:
        admin.execute_command("ACL", "DELUSER", name)
        admin.close()


def test_ping_set_get_through_the_store(redis_server: RedisServer) -> None:
    with RedisStateStore.from_config(config_for(redis_server.url), dialect=CLICKHOUSE) as store:
        store.ping()
        key = store.key(f"test_{uuid.uuid4().hex}")
        store.client.set(key, b"state", ex=60)
        assert store.client.get(key) == b"state"
        store.client.delete(key)


def test_keys_use_the_configured_prefixes(redis_server: RedisServer) -> None:
    config = config_for(redis_server.url, key_prefix="tenant_a", last_key_prefix="previous")
    with RedisStateStore.from_config(config, dialect=CLICKHOUSE) as store:
        assert store.key("infrastructure_map") == "tenant_a::infrastructure_map"
        assert store.last_key("infrastructure_map") == "previous::infrastructure_map"
    with RedisStateStore.from_config(config_for(redis_server.url), dialect=CLICKHOUSE) as store:
        assert store.key("migration_lock") == "MS::migration_lock"


def test_right_password_of_an_acl_user(redis_server: RedisServer, acl_user: str) -> None:
    url = f"redis://{acl_user}:{SECRET}@127.0.0.1:{redis_server.port}/0"
    with RedisStateStore.from_config(config_for(url), dialect=CLICKHOUSE) as store:
        store.ping()


def test_wrong_password_is_connection_failed_without_the_password(redis_server: RedisServer,
                                                                  acl_user: str) -> None:
    url = f"redis://{acl_user}:{SECRET}-wrong@127.0.0.1:{redis_server.port}"
    with RedisStateStore.from_config(config_for(url), dialect=CLICKHOUSE) as store, \
            pytest.raises(ConnectionFailed) as info:
        store.ping()
    message = str(info.value)
    assert "refused the credentials" in message
    assert f"redis://{acl_user}:****@127.0.0.1:{redis_server.port}" in message
    assert SECRET not in message
    assert "Fix: " in message
    assert "\n" not in message


def test_connection_refused_is_connection_failed_quickly() -> None:
    url = f"redis://user:{SECRET}@127.0.0.1:{free_port()}"
    store = RedisStateStore.from_config(config_for(url), dialect=CLICKHOUSE)
    started = time.monotonic()
    with pytest.raises(ConnectionFailed) as info:
        store.ping()
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert message.startswith("cannot reach Redis at redis://user:****@127.0.0.1:")
    assert "Fix: start Redis" in message
    assert SECRET not in message
    store.close()
    store.close()


@pytest.mark.parametrize("url", [f"http://user:{SECRET}@h:6379", "no-scheme-at-all"])
def test_unreadable_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        RedisStateStore.from_config(config_for(url), dialect=CLICKHOUSE)
    assert "is not a valid Redis URL" in str(info.value)
    assert SECRET not in str(info.value)

