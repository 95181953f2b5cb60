"""The state store lost after operations ran (issue 15, item 2): the report lists what ran and says the state
was not stored; the next run reconciles from the database without running anything again.

Each run stops at a gate (the plan's last operation) while the test breaks the store: Redis is killed, the
KeeperMap table is dropped, the file store cannot write its state file.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox.testing.processes import free_port
from muskox.testing.redis import find_redis_server, ping, redis_argv
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_migrate import add_raw_sql, muskox, write_project
from tests.e2e.test_signals import at_gate, reap, spawn, text
from tests.sync import Gate, wait_for

TABLES = 3
TOTAL = TABLES + 1


class OwnRedis:
    """A redis-server this test may kill (the session's is shared)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(redis_argv(find_redis_server(), self.port, self.directory),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: ping(self.port) or self.process.poll() is not None, "redis-server to answer")  # type: ignore[union-attr]
        assert self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=60)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path / "redis")
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


def run_until_the_store_breaks(project: Path, url: str, gate: Gate, sql: object, break_store: Callable[[], None],
                               ) -> tuple[int, str]:
    """Run `migrate`; at the gate (every other operation ran) break the store, then let the run finish."""
    log = project / "migrate.log"
    process = spawn(project, log, "migrate", "--clickhouse-url", url)
    try:
        wait_for(lambda: at_gate(sql, gate, process), "the migration to reach the gate")
        assert process.poll() is None, text(log)
        break_store()
        gate.open()
        code = process.wait(timeout=180)
    finally:
        reap(process)
    return code, text(log)


def prepare(project: Path, url: str, database: str, storage: str, gate: Gate, redis_url: str | None = None) -> None:
    with connect(parse_url(url), use_database=False) as client:
        client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    write_project(project, database, storage, TABLES, redis_url=redis_url)
    generated = muskox(project, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    assert generated.returncode == 0, generated.stderr
    add_raw_sql(project, TABLES, gate.sql, description="Waiting at the gate")


def assert_reported(code: int, seen: str, expected: ExitCode) -> None:
    assert code == expected, seen
    assert "Traceback" not in seen, seen
    assert f"The state store failed after {TOTAL} of {TOTAL} operation(s) ran" in seen, seen
    assert "the new state was NOT stored" in seen
    assert all(f"✓ [{n}/{TOTAL}]" in seen for n in range(1, TOTAL + 1)), seen
    assert "without running any of them again" in seen


def assert_reconciled(project: Path, url: str) -> None:
    again = muskox(project, "migrate", "--clickhouse-url", url)
    assert again.returncode == 0, again.stderr
    assert "Creating table" not in again.stderr and "Waiting at the gate\n" not in again.stderr, again.stderr
    assert muskox(project, "plan", "--clickhouse-url", url, "--exit-code").returncode == ExitCode.OK
    assert muskox(project, "migrate", "--clickhouse-url", url).returncode == 0


@pytest.fixture
def sql(clickhouse_server: RunningServer) -> Iterator[object]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as client:
        yield client


def test_redis_killed_after_the_operations_ran(clickhouse_server: RunningServer, own_redis: OwnRedis,
                                               tmp_path: Path, sql: object) -> None:
    database = "lost_redis"
    url = f"{clickhouse_server.http_url}/{database}"
    with Gate(tmp_path / "gate") as gate:
        prepare(tmp_path, url, database, "redis", gate, own_redis.url)
        code, seen = run_until_the_store_breaks(tmp_path, url, gate, sql, own_redis.kill)
    assert_reported(code, seen, ExitCode.CONNECTION)
    own_redis.start()  # a new, empty Redis on the same port: every record is gone
    assert_reconciled(tmp_path, url)


def test_the_file_store_failing_on_save(clickhouse_server: RunningServer, tmp_path: Path, sql: object) -> None:
    database = "lost_file"
    url = f"{clickhouse_server.http_url}/{database}"
    state_file = tmp_path / ".muskox" / "state" / "infra_map.json"
    with Gate(tmp_path / "gate") as gate:
        prepare(tmp_path, url, database, "file", gate)
        code, seen = run_until_the_store_breaks(tmp_path, url, gate, sql, state_file.mkdir)  # cannot replace it
    assert_reported(code, seen, ExitCode.CONNECTION)
    shutil.rmtree(state_file)
    assert_reconciled(tmp_path, url)
    assert state_file.is_file()


def test_the_keepermap_store_lost(clickhouse_server: RunningServer, tmp_path: Path, sql: object) -> None:
    database = "lost_keeper"
    url = f"{clickhouse_server.http_url}/{database}"
    drop = f"DROP TABLE `{database}`.`_MOOSE_STATE` SYNC"
    with Gate(tmp_path / "gate") as gate:
        prepare(tmp_path, url, database, "clickhouse", gate)
        code, seen = run_until_the_store_breaks(tmp_path, url, gate, sql,
                                                lambda: sql.command(drop))  # type: ignore[attr-defined]
    assert_reported(code, seen, ExitCode.SERVER_ERROR)
    assert_reconciled(tmp_path, url)
