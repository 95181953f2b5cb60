"""The state-store contract: the behaviour every muskox state store has, as a pytest test class to inherit.

The built-in ``file`` store and the ``redis`` and ``clickhouse`` (KeeperMap) stores pass it; a third-party store
runs the same tests with one import and one fixture::

    import pytest
    from muskox.config import Config, StateConfig
    from muskox.testing.state_contract import MakeConfig, StateStoreContract

    class TestMyStore(StateStoreContract):
        store_name = "mine"                  # the name the plugin registers

        @pytest.fixture
        def make_config(self, my_server) -> MakeConfig:
            # an isolated store per namespace: two namespaces never share state, applied list or lock
            return lambda namespace: Config(state_config=StateConfig(storage="mine"), ...)

The store is opened the way muskox opens it (by name, through the installed plugins, with the installed OLAP
backend's dialect), so the plugin must be installed. Class attributes tune what is expected:
``expires_by_itself`` (the store deletes an expired lock on its own, so no stale record is ever seen) and
``keeps_history`` (False: ``append_history``/``history`` are not implemented and must raise
``NotImplementedError``). Needs ``hypothesis``.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.config import Config
from muskox.exit_codes import ExitCode
from muskox.model import InfraMap
from muskox.plugin.interfaces import StateStore
from muskox.plugin.manager import Plugins
from muskox.state import LockHeld, LockLost
from muskox.testing.strategies import tables

__all__ = ["PROCESSES", "MakeConfig", "StateStoreContract", "capture_state_warnings", "open_store"]

MakeConfig = Callable[[str], Config]
PROCESSES = 8


def capture_state_warnings(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let ``caplog`` see muskox's state warnings (an in-process CLI run stops the ``muskox`` logger propagating)."""
    monkeypatch.setattr(logging.getLogger("muskox"), "propagate", True)
    caplog.set_level(logging.WARNING, logger="muskox.state")


def open_store(store_name: str, config: Config, project_dir: Path) -> StateStore:
    """Open a store the way muskox does: by its registered name, through the installed plugins, with the
    installed OLAP backend's dialect."""
    from muskox.plugin.backends import olap_dialect

    plugins = Plugins.load(env={})
    return plugins.state_store(store_name).from_config(config, dialect=olap_dialect(plugins), project_dir=project_dir)


def _acquire_worker(store_name: str, config: Config, project_dir: Path, owner: str, barrier: Any,
                    results: Any, done: Any) -> None:
    """One competing process: connect, wait for the others, try the lock once, report, hold it until told."""
    store = open_store(store_name, config, project_dir)
    try:
        store.lock_status()  # connect (and create the table) before the race starts
        barrier.wait(timeout=60)
        try:
            lock = store.acquire_lock(owner, ttl=60)
        except LockHeld as exc:
            results.put((owner, "held", str(exc), int(exc.exit_code)))
        except Exception as exc:
            results.put((owner, "error", repr(exc), -1))
        else:
            results.put((owner, "won", "", 0))
            done.wait(timeout=60)
            lock.release()
    finally:
        store.close()


class StateStoreContract:
    """Tests shared by every state store; subclasses set ``store_name`` and provide ``make_config``."""

    store_name = ""
    #: True when the store itself deletes an expired lock (Redis key TTL), so no stale record is ever seen.
    expires_by_itself = False
    #: False when the store does not keep a migration history (``append_history``/``history`` raise
    #: ``NotImplementedError``, and ``muskox logs --history`` says so).
    keeps_history = True

    @pytest.fixture
    def make_config(self) -> MakeConfig:
        raise NotImplementedError

    @pytest.fixture
    def project_dir(self, tmp_path: Path) -> Path:
        return tmp_path

    @pytest.fixture
    def open(self, make_config: MakeConfig, project_dir: Path) -> Iterator[Callable[[str], StateStore]]:
        """``open(namespace)``: a store for that namespace, closed after the test."""
        opened: list[StateStore] = []

        def open_namespace(namespace: str) -> StateStore:
            store = open_store(self.store_name, make_config(namespace), project_dir)
            opened.append(store)
            return store

        yield open_namespace
        for store in opened:
            store.close()

    @pytest.fixture
    def namespace(self) -> str:
        return f"muskox_{uuid.uuid4().hex[:10]}"

    @pytest.fixture
    def store(self, open: Callable[[str], StateStore], namespace: str) -> StateStore:
        store = open(namespace)
        store.ping()
        return store

    @pytest.fixture
    def other(self, open: Callable[[str], StateStore], namespace: str) -> StateStore:
        """A second connection to the same store (another process would see the same)."""
        return open(namespace)

    # -- state -------------------------------------------------------------------------------------------

    def test_an_empty_store_has_no_state_no_applied_list_and_no_lock(self, store: StateStore) -> None:
        assert store.load_state() is None
        assert store.applied_migrations() == []
        assert store.lock_status() is None
        assert store.force_release_lock() is None

    # One store per test (a fixture) is fine: each example overwrites the state. The same method runs for each
    # store subclass, hence differing executors.
    @settings(max_examples=15, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors])
    @given(st.lists(tables(), max_size=4))
    def test_saved_state_loads_back_equal(self, store: StateStore, other: StateStore, generated: list[Any]) -> None:
        infra = InfraMap.of("analytics", generated)
        store.save_state(infra)
        assert store.load_state() == infra
        assert other.load_state() == infra

    def test_the_newest_state_wins(self, store: StateStore, other: StateStore) -> None:
        first = InfraMap(default_database="first")
        second = InfraMap(default_database="second")
        store.save_state(first)
        other.save_state(second)  # within the same millisecond, or the same second of created_at
        assert store.load_state() == second
        store.save_state(first)
        assert other.load_state() == first

    def test_applied_list_keeps_order_and_ignores_repeats(self, store: StateStore, other: StateStore) -> None:
        store.record_applied("20260415_101530_123_migration")
        other.record_applied("20260416_090000_000_migration")
        store.record_applied("20260415_101530_123_migration")
        assert other.applied_migrations() == ["20260415_101530_123_migration", "20260416_090000_000_migration"]

    # -- the applied list as snapshot mode uses it ---------------------------------------------------------

    def test_plan_records_are_kept_as_given_in_order(self, store: StateStore, other: StateStore) -> None:
        records = ["20260101_000000_000_first", "plan:0123456789abcdef@started", "plan:0123456789abcdef#2",
                   "plan:0123456789abcdef#3.1", "plan:0123456789abcdef@done:1-2,4", "plan:0123456789abcdef"]
        for record in records:
            store.record_applied(record)
        store.record_applied("plan:0123456789abcdef@started")  # a repeat changes nothing
        assert other.applied_migrations() == records

    # -- the migration history (optional) ----------------------------------------------------------------

    def test_history_keeps_the_newest_entries_oldest_first(self, store: StateStore, other: StateStore) -> None:
        entries = [json.dumps({"n": n, "text": "ünïcode ✓"}, ensure_ascii=False) for n in range(5)]
        if not self.keeps_history:
            with pytest.raises(NotImplementedError):
                store.append_history(entries[0])
            with pytest.raises(NotImplementedError):
                store.history()
            return
        assert store.history() == []
        for entry in entries:
            store.append_history(entry)
        assert other.history() == entries
        assert other.history(limit=2) == entries[-2:]
        assert json.loads(other.history(limit=1)[0]) == {"n": 4, "text": "ünïcode ✓"}

    def test_history_is_per_namespace(self, open: Callable[[str], StateStore], namespace: str) -> None:
        if not self.keeps_history:
            return
        tenant_a, tenant_b = open(f"{namespace}_ha"), open(f"{namespace}_hb")
        tenant_a.append_history('{"tenant": "a"}')
        assert tenant_a.history() == ['{"tenant": "a"}']
        assert tenant_b.history() == []

    # -- the lock ----------------------------------------------------------------------------------------

    def test_a_held_lock_refuses_others_naming_holder_start_and_expiry(self, store: StateStore,
                                                                      other: StateStore) -> None:
        lock = store.acquire_lock("builder-1:4242", ttl=300)
        with pytest.raises(LockHeld) as info:
            other.acquire_lock("builder-2:77", ttl=300)
        message = str(info.value)
        assert info.value.exit_code == ExitCode.LOCK_HELD
        assert message.startswith("Migration already in progress on machine builder-1:4242 (since ")
        assert " UTC, expires in 4m 5" in message or " UTC, expires in 5m 0s" in message
        assert "muskox lock release --force" in message
        assert info.value.holder == lock.info
        status = other.lock_status()
        assert status is not None
        assert status.owner == "builder-1:4242"
        assert status.started_at == lock.info.started_at
        assert status.expires_at is not None
        assert abs((status.expires_at - lock.info.started_at).total_seconds() - 300) < 1  # type: ignore[operator]
        assert lock.release() is True
        assert other.lock_status() is None

    def test_the_lock_is_free_again_after_release(self, store: StateStore, other: StateStore) -> None:
        with store.acquire_lock("a:1", ttl=30):
            pass
        assert store.lock_status() is None
        with other.acquire_lock("b:2", ttl=30) as lock:
            assert store.lock_status() == lock.info
        assert lock.released
        assert lock.release() is False  # the second release does nothing

    def test_renew_extends_the_expiry_and_keeps_the_start(self, store: StateStore, other: StateStore) -> None:
        lock = store.acquire_lock("a:1", ttl=20)
        before = lock.info
        time.sleep(0.05)
        after = lock.renew()
        assert after.started_at == before.started_at
        assert after.expires_at > before.expires_at  # type: ignore[operator]
        assert other.lock_status() == after
        lock.release()

    def test_a_stale_lock_is_taken_over(self, store: StateStore, other: StateStore,
                                        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
        old = store.acquire_lock("crashed-host:99", ttl=0.3)
        time.sleep(0.5)
        capture_state_warnings(caplog, monkeypatch)
        new = other.acquire_lock("fresh-host:1", ttl=30)
        if not self.expires_by_itself:
            assert "Deleted stale migration lock from machine crashed-host:99" in caplog.text
        with pytest.raises(LockLost):
            old.renew()
        assert old.release() is False  # never deletes the new owner's lock
        assert store.lock_status() == new.info
        new.release()

    def test_release_never_deletes_another_owners_lock(self, store: StateStore, other: StateStore) -> None:
        mine = store.acquire_lock("a:1", ttl=30)
        assert other.force_release_lock() == mine.info
        theirs = other.acquire_lock("b:2", ttl=30)
        assert mine.release() is False
        with pytest.raises(LockLost):
            mine.renew()
        assert store.lock_status() == theirs.info
        assert theirs.release() is True

    def test_force_release_returns_what_it_deleted(self, store: StateStore, other: StateStore) -> None:
        lock = store.acquire_lock("stuck:1", ttl=300)
        deleted = other.force_release_lock()
        assert deleted == lock.info
        assert other.lock_status() is None
        assert other.force_release_lock() is None

    def test_force_release_with_an_expected_lock_spares_a_newer_one(self, store: StateStore,
                                                                   other: StateStore) -> None:
        first = store.acquire_lock("a:1", ttl=30)
        seen = other.lock_status()
        assert seen is not None
        first.release()
        second = store.acquire_lock("a:1", ttl=30)  # same owner, a new lock
        assert other.force_release_lock(seen) is None
        assert other.lock_status() == second.info
        assert other.force_release_lock(other.lock_status()) == second.info

    def test_ttl_must_be_positive(self, store: StateStore) -> None:
        with pytest.raises(ValueError, match="positive"):
            store.acquire_lock("a:1", ttl=0)

    def test_heartbeat_keeps_a_short_lock_alive_past_its_ttl(self, store: StateStore, other: StateStore) -> None:
        with store.acquire_lock("long-alter:1", ttl=1.2) as lock:
            first_expiry = lock.info.expires_at
            for _ in range(6):  # 3 s: well past the 1.2 s ttl
                time.sleep(0.5)
                with pytest.raises(LockHeld):
                    other.acquire_lock("intruder:2", ttl=30)
                lock.check()
            assert lock.info.expires_at > first_expiry  # type: ignore[operator]
            assert lock._heartbeat is not None and lock._heartbeat.beats >= 5
        assert other.lock_status() is None

    def test_heartbeat_notices_a_lost_lock(self, store: StateStore, other: StateStore) -> None:
        with pytest.raises(LockLost), store.acquire_lock("slow:1", ttl=0.9) as lock:
            other.force_release_lock()
            theirs = other.acquire_lock("other:2", ttl=30)
            deadline = time.monotonic() + 5
            while lock.lost is None and time.monotonic() < deadline:
                time.sleep(0.05)
            with pytest.raises(LockLost):
                lock.check()
        assert other.lock_status() == theirs.info  # the lost lock's exit deleted nothing
        theirs.release()

    def test_eight_processes_race_and_exactly_one_wins(self, make_config: MakeConfig, namespace: str,
                                                       project_dir: Path) -> None:
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(PROCESSES)
        results = context.Queue()
        done = context.Event()
        config = make_config(namespace)
        processes = [
            context.Process(target=_acquire_worker, args=(self.store_name, config, project_dir, f"racer-{i}:{i}",
                                                          barrier, results, done))
            for i in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        outcomes = []
        try:
            for _ in range(PROCESSES):
                outcomes.append(results.get(timeout=120))
        except queue.Empty:
            pytest.fail(f"only {len(outcomes)} of {PROCESSES} processes reported: {outcomes}")
        finally:
            done.set()
            for process in processes:
                process.join(timeout=60)
        winners = [owner for owner, verdict, _, _ in outcomes if verdict == "won"]
        losers = [(message, code) for _, verdict, message, code in outcomes if verdict == "held"]
        assert len(winners) == 1, outcomes
        assert len(losers) == PROCESSES - 1, outcomes
        for message, code in losers:
            assert code == ExitCode.LOCK_HELD
            assert message.startswith(f"Migration already in progress on machine {winners[0]} (since ")
        assert all(process.exitcode == 0 for process in processes)
        with open_store(self.store_name, config, project_dir) as store:
            assert store.lock_status() is None  # the winner released it

    def test_two_tenants_never_share_state_applied_list_or_lock(self, open: Callable[[str], StateStore],
                                                                namespace: str) -> None:
        tenant_a, tenant_b = open(f"{namespace}_a"), open(f"{namespace}_b")
        tenant_a.save_state(InfraMap(default_database="a"))
        tenant_b.save_state(InfraMap(default_database="b"))
        tenant_a.record_applied("only_a")
        with tenant_a.acquire_lock("a:1", ttl=30) as lock_a, tenant_b.acquire_lock("b:1", ttl=30) as lock_b:
            assert tenant_a.lock_status() == lock_a.info
            assert tenant_b.lock_status() == lock_b.info
        loaded_a, loaded_b = tenant_a.load_state(), tenant_b.load_state()
        assert loaded_a is not None and loaded_a.default_database == "a"
        assert loaded_b is not None and loaded_b.default_database == "b"
        assert tenant_a.applied_migrations() == ["only_a"]
        assert tenant_b.applied_migrations() == []
