"""What the ``clickhouse`` store writes in ``_MOOSE_STATE``, and how it shares the table with Moose (spec 9.1)."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from muskox.config import ClickHouseConfig, Config
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model import Column, InfraMap, Table
from muskox.model.types import Simple
from muskox.state import LockHeld, StateError
from muskox.state.encoding import COMPRESS_OVER, GZIP_PREFIX
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.quoting import quote_string
from muskox_clickhouse.local import RunningServer
from muskox_state_keeper import KeeperStateStore
from muskox_state_keeper.store import LOCK_KEY
from tests.core.test_state_contract import capture_state_warnings


@pytest.fixture
def database() -> str:
    return f"keeper_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def store(clickhouse_server: RunningServer, database: str) -> Iterator[KeeperStateStore]:
    config = Config(clickhouse_config=ClickHouseConfig(url=f"{clickhouse_server.http_url}/{database}"))
    with KeeperStateStore.from_config(config, dialect=CLICKHOUSE) as opened:
        yield opened


def rows(store: KeeperStateStore) -> dict[str, str]:
    return {str(k): str(v) for k, v in store.backend.client.query(f"SELECT key, value FROM {store.table}")}


def insert(store: KeeperStateStore, key: str, value: str, created_at: str | None = None) -> None:
    columns, values = "key, value", f"{quote_string(key)}, {quote_string(value)}"
    if created_at:
        columns, values = f"{columns}, created_at", f"{values}, {quote_string(created_at)}"
    store._ensure_table()  # reads create nothing; the store's first write would create the table
    store.backend.client.command(f"INSERT INTO {store.table} ({columns}) VALUES ({values})")


def moose_lock_value(machine_id: str, expires_in: float) -> str:
    """A lock exactly as Moose (chrono, nanoseconds) writes it."""
    now = time.time()

    def rfc3339(t: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e9):09d}Z"

    record = {"machine_id": machine_id, "started_at": rfc3339(now - 5), "expires_at": rfc3339(now + expires_in)}
    return base64.b64encode(json.dumps(record, separators=(",", ":")).encode()).decode()


def test_database_and_keepermap_table_are_created_by_the_first_write(store: KeeperStateStore, database: str) -> None:
    client = store.backend.client
    assert client.query(f"SELECT count() FROM system.databases WHERE name = {quote_string(database)}") == [(0,)]
    assert store.load_state() is None and store.lock_status() is None  # reads create nothing
    assert client.query(f"SELECT count() FROM system.databases WHERE name = {quote_string(database)}") == [(0,)]
    assert store.missing() == f"database `{database}`"
    store.save_state(InfraMap(default_database=database))
    assert store.missing() is None
    (engine_full,), = client.query("SELECT engine_full FROM system.tables "
                                   f"WHERE database = {quote_string(database)} AND name = '_MOOSE_STATE'")
    assert engine_full.startswith(f"KeeperMap('/{database}/_MOOSE_STATE')")
    columns = client.query("SELECT name, type, default_expression FROM system.columns "
                           f"WHERE database = {quote_string(database)} AND table = '_MOOSE_STATE' ORDER BY position")
    assert columns == [("key", "String", ""), ("value", "String", ""), ("created_at", "DateTime", "now()")]


def test_states_are_json_rows_keyed_by_milliseconds_never_moose_keys(store: KeeperStateStore) -> None:
    store.save_state(InfraMap(default_database="one"))
    store.save_state(InfraMap(default_database="two"))
    stored = rows(store)
    keys = sorted(stored)
    assert len(keys) == 2
    assert all(key.startswith("muskox_infra_map_") and key[len("muskox_infra_map_"):].isdigit() for key in keys)
    assert not any(key.startswith("infra_map_") for key in keys)  # Moose reads those as protobuf
    first, second = (int(key.rsplit("_", 1)[1]) for key in keys)
    assert second > first
    assert abs(first - time.time() * 1000) < 60_000
    envelope = json.loads(stored[keys[1]])
    assert envelope["format"] == "muskox-state"
    assert envelope["infra_map"]["default_database"] == "two"


def test_newest_is_the_greatest_key_not_the_latest_created_at(store: KeeperStateStore) -> None:
    store.save_state(InfraMap(default_database="saved_now"))
    future = int(time.time() * 1000) + 3_600_000  # a machine whose clock runs an hour ahead saved this
    store.save_state(InfraMap(default_database="placeholder"))
    newest_key = max(rows(store))
    value = rows(store)[newest_key].replace('"placeholder"', '"ahead"')
    insert(store, f"muskox_infra_map_{future}", value, created_at="2001-01-01 00:00:00")
    loaded = store.load_state()
    assert loaded is not None and loaded.default_database == "ahead"
    store.save_state(InfraMap(default_database="after"))  # must still become the newest
    assert max(rows(store)) == f"muskox_infra_map_{future + 1}"
    loaded = store.load_state()
    assert loaded is not None and loaded.default_database == "after"


def test_moose_state_rows_are_ignored_with_a_warning(store: KeeperStateStore,
                                                     caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    insert(store, "infra_map_1760000000000", base64.b64encode(b"\x0a\x03protobuf").decode())
    capture_state_warnings(caplog, monkeypatch)
    assert store.load_state() is None
    assert "Moose's state" in caplog.text
    store.save_state(InfraMap(default_database="mine"))
    loaded = store.load_state()
    assert loaded is not None and loaded.default_database == "mine"
    assert "infra_map_1760000000000" in rows(store)  # Moose's history is left alone


def test_a_large_state_is_gzipped_and_loads_back(store: KeeperStateStore) -> None:
    columns = tuple(Column(name=f"column_{i}_{'x' * 40}", data_type=Simple("String"), comment="c" * 60)
                    for i in range(40))
    infra = InfraMap.of("big", [Table(name=f"table_{n}", columns=columns, order_by=()) for n in range(120)])
    store.save_state(infra)
    (value,) = rows(store).values()
    assert value.startswith(GZIP_PREFIX)
    assert len(value) < COMPRESS_OVER
    assert store.load_state() == infra


def test_an_unreadable_state_is_a_state_error(store: KeeperStateStore) -> None:
    store.load_state()
    insert(store, "muskox_infra_map_1", "{not json")
    with pytest.raises(StateError, match="cannot be read"):
        store.load_state()


def test_lock_row_is_base64_of_moose_json(store: KeeperStateStore) -> None:
    lock = store.acquire_lock("ci-runner:812", ttl=300)
    value = rows(store)[LOCK_KEY]
    decoded = base64.b64decode(value).decode()
    record = json.loads(decoded)
    assert list(record) == ["machine_id", "started_at", "expires_at"]
    assert record["machine_id"] == "ci-runner:812"
    assert record["started_at"].endswith("Z") and record["expires_at"].endswith("Z")
    assert decoded == json.dumps(record, separators=(",", ":"))
    lock.release()
    assert LOCK_KEY not in rows(store)


def test_a_moose_lock_blocks_muskox_and_is_reported(store: KeeperStateStore) -> None:
    store.load_state()
    insert(store, LOCK_KEY, moose_lock_value("moose-machine-uuid", expires_in=200))
    with pytest.raises(LockHeld) as info:
        store.acquire_lock("muskox:1")
    assert "on machine moose-machine-uuid (since " in str(info.value)
    status = store.lock_status()
    assert status is not None and status.owner == "moose-machine-uuid"
    assert store.force_release_lock(status) == status  # compares the stored text, nanoseconds and all
    assert store.lock_status() is None


def test_a_muskox_lock_blocks_moose(store: KeeperStateStore) -> None:
    lock = store.acquire_lock("muskox:1")
    from muskox_clickhouse.errors import ClickHouseServerError

    with pytest.raises(ClickHouseServerError, match="Node exists"):  # Moose's strict-mode INSERT of its lock
        store.backend.client.command(
            f"INSERT INTO {store.table} (key, value) VALUES ('migration_lock', "
            f"{quote_string(moose_lock_value('moose', 300))})", settings={"keeper_map_strict_mode": 1})
    lock.release()


def test_a_stale_moose_lock_is_taken_over(store: KeeperStateStore, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store.load_state()
    insert(store, LOCK_KEY, moose_lock_value("moose-crashed", expires_in=-10))
    capture_state_warnings(caplog, monkeypatch)
    lock = store.acquire_lock("muskox:1")
    assert "Deleted stale migration lock from machine moose-crashed" in caplog.text
    lock.release()


def test_applied_list_is_a_json_array_row(store: KeeperStateStore) -> None:
    store.record_applied("20260415_101530_123_migration")
    store.record_applied("20260416_000000_000_migration")
    assert json.loads(rows(store)["applied_migrations"]) == ["20260415_101530_123_migration",
                                                            "20260416_000000_000_migration"]


def test_applied_list_written_as_base64_json_is_read(store: KeeperStateStore) -> None:
    store.load_state()
    insert(store, "applied_migrations", base64.b64encode(b'["a","b"]').decode())
    assert store.applied_migrations() == ["a", "b"]
    store.record_applied("c")
    assert store.applied_migrations() == ["a", "b", "c"]


def test_an_unreadable_applied_list_is_a_state_error(store: KeeperStateStore) -> None:
    store.load_state()
    insert(store, "applied_migrations", "not a list")
    with pytest.raises(StateError, match="applied-migrations list"):
        store.applied_migrations()


def _race(count: int, action: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = action(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_strict_mode_insert_and_update_are_compare_and_set(clickhouse_server: RunningServer, database: str) -> None:
    """The primitives under the lock, raced by separate connections: exactly one insert and one update win."""
    config = Config(clickhouse_config=ClickHouseConfig(url=f"{clickhouse_server.http_url}/{database}"))
    stores = [KeeperStateStore.from_config(config, dialect=CLICKHOUSE) for _ in range(8)]
    try:
        for s in stores:
            s.lock_status()
        for round_ in range(3):
            key = f"k{round_}"
            inserted = _race(8, lambda i, key=key: stores[i]._insert_new(key, f"v{i}"))
            assert inserted.count(True) == 1
            old = f"v{inserted.index(True)}"
            updated = _race(8, lambda i, key=key, old=old: stores[i]._compare_and_set(key, old, f"u{i}"))
            assert updated.count(True) == 1
            new = f"u{updated.index(True)}"
            assert stores[0]._get(key) == new
            deleted = _race(8, lambda i, key=key, new=new: stores[i]._delete_if(key, new))
            assert deleted.count(True) >= 1  # (deletion reports are best effort; the row is gone exactly once)
            assert stores[0]._get(key) is None
    finally:
        for s in stores:
            s.close()


def test_a_refused_state_table_says_what_keepermap_needs(store: KeeperStateStore, database: str) -> None:
    client = store.backend.client
    client.command(f"CREATE DATABASE `{database}`")
    client.command(f"CREATE TABLE `{database}`.squatter (key String, n UInt8) "  # another table owns the path
                   f"ENGINE = KeeperMap('/{database}/_MOOSE_STATE') PRIMARY KEY key")
    assert store.load_state() is None  # a read creates nothing, so nothing is refused yet
    with pytest.raises(MuskoxError) as info:
        store.acquire_lock("first-write")
    message = str(info.value)
    assert message.startswith(f"cannot create the state table `{database}`.`_MOOSE_STATE` on http://")
    assert "is already used" in message
    assert 'storage = "redis"' in message
    assert info.value.exit_code == ExitCode.SERVER_ERROR
