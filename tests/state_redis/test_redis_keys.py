"""What the ``redis`` store writes, the ``last_key_prefix`` fallback, and locks written by Moose (spec 9.2)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis

from muskox.config import Config, RedisConfig
from muskox.model import InfraMap
from muskox.state import LockHeld
from muskox.state.lock_info import LockInfo, encode_record
from muskox.testing.redis import RedisServer
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_state_redis import RedisStateStore
from tests.core.test_state_contract import capture_state_warnings


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    raw = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield raw
    raw.close()


def open_store(redis_server: RedisServer, key_prefix: str, last_key_prefix: str | None = None) -> RedisStateStore:
    return RedisStateStore.from_config(Config(redis_config=RedisConfig(
        url=redis_server.url, key_prefix=key_prefix, last_key_prefix=last_key_prefix or key_prefix)),
        dialect=CLICKHOUSE)


def test_state_is_json_under_muskox_key_never_moose_key(redis_server: RedisServer, client: redis.Redis,
                                                        prefix: str) -> None:
    with open_store(redis_server, prefix) as store:
        store.save_state(InfraMap(default_database="db"))
    assert client.keys(f"{prefix}::*") == [f"{prefix}::muskox_infrastructure_map"]
    envelope = json.loads(client.get(f"{prefix}::muskox_infrastructure_map") or "")
    assert envelope["format"] == "muskox-state"
    assert envelope["infra_map"]["default_database"] == "db"


def test_state_and_applied_list_fall_back_to_last_key_prefix(redis_server: RedisServer, client: redis.Redis,
                                                            prefix: str) -> None:
    old, new = f"{prefix}_deploy1", f"{prefix}_deploy2"
    with open_store(redis_server, old) as previous:
        previous.save_state(InfraMap(default_database="from_deploy1"))
        previous.record_applied("m1")
    with open_store(redis_server, new, last_key_prefix=old) as store:
        loaded = store.load_state()
        assert loaded is not None and loaded.default_database == "from_deploy1"
        assert store.applied_migrations() == ["m1"]
        store.record_applied("m2")
        store.save_state(InfraMap(default_database="from_deploy2"))
        loaded = store.load_state()
        assert loaded is not None and loaded.default_database == "from_deploy2"
        assert store.applied_migrations() == ["m1", "m2"]
    assert json.loads(client.get(f"{new}::applied_migrations") or "") == ["m1", "m2"]
    assert json.loads(client.get(f"{old}::applied_migrations") or "") == ["m1"]  # the old deploy's keys stay
    assert json.loads(client.get(f"{old}::muskox_infrastructure_map") or "")["infra_map"]["default_database"] \
        == "from_deploy1"


def test_an_applied_id_found_only_under_the_old_prefix_is_copied_once(redis_server: RedisServer,
                                                                     client: redis.Redis, prefix: str) -> None:
    client.set(f"{prefix}_old::applied_migrations", '["m1"]')
    with open_store(redis_server, f"{prefix}_new", last_key_prefix=f"{prefix}_old") as store:
        store.record_applied("m1")
        assert json.loads(client.get(f"{prefix}_new::applied_migrations") or "") == ["m1"]


def test_lock_key_has_the_ttl_and_moose_record(redis_server: RedisServer, client: redis.Redis, prefix: str) -> None:
    with open_store(redis_server, prefix) as store:
        lock = store.acquire_lock("host:5", ttl=120)
        assert 119_000 < client.pttl(f"{prefix}::migration_lock") <= 120_000
        record = json.loads(client.get(f"{prefix}::migration_lock") or "")
        assert list(record) == ["machine_id", "started_at", "expires_at"]
        assert record["machine_id"] == "host:5"
        lock.renew()
        assert client.pttl(f"{prefix}::migration_lock") > 119_000
        lock.release()
        assert client.exists(f"{prefix}::migration_lock") == 0


def test_a_moose_lock_blocks_and_reports_its_ttl(redis_server: RedisServer, client: redis.Redis,
                                                 prefix: str) -> None:
    moose_instance = str(uuid.uuid4())
    client.set(f"{prefix}::migration_lock", moose_instance, ex=300)
    with open_store(redis_server, prefix) as store:
        with pytest.raises(LockHeld) as info:
            store.acquire_lock("muskox:1")
        assert f"on machine {moose_instance} (since an unknown time, expires in 4m 5" in str(info.value) \
            or f"on machine {moose_instance} (since an unknown time, expires in 5m 0s" in str(info.value)
        status = store.lock_status()
        assert status is not None and status.owner == moose_instance and status.started_at is None
        deleted = store.force_release_lock(status)  # its expiry is re-read from the TTL: compare the owner
        assert deleted is not None and deleted.owner == moose_instance
        assert client.exists(f"{prefix}::migration_lock") == 0


def test_a_stale_record_without_ttl_is_taken_over(redis_server: RedisServer, client: redis.Redis, prefix: str,
                                                  caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    stale = LockInfo.new("skewed-clock:3", 1)
    client.set(f"{prefix}::migration_lock", encode_record(stale).replace(  # written an hour ago, never expiring
        stale.started_at.strftime("%Y-%m-%dT%H"), "2001-01-01T00"))  # type: ignore[union-attr]
    capture_state_warnings(caplog, monkeypatch)
    with open_store(redis_server, prefix) as store:
        lock = store.acquire_lock("muskox:1", ttl=30)
        assert "Deleted stale migration lock from machine skewed-clock:3" in caplog.text
        assert 0 < client.pttl(f"{prefix}::migration_lock") <= 30_000
        lock.release()
