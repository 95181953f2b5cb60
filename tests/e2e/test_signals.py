"""SIGTERM and SIGINT during ``migrate`` and ``prod`` (issue 15, item 1), sent to real processes.

Each run stops at a gate (a raw SQL operation that blocks in the server until the test opens it), so the signal
always arrives while an operation runs; the test waits for the process's own lines, never for time to pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox.testing.processes import free_port
from muskox.testing.redis import RedisServer
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_migrate import add_raw_sql, muskox, write_project
from tests.sync import Gate, wait_for

TABLES = 4
TOTAL = TABLES + 1  # the gate is operation 3


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    env.update(extra)
    return env


def spawn(project: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "muskox", "--project", str(project), *args],
                                env=env or clean_env(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=60)


@pytest.fixture
def sql(clickhouse_server: RunningServer) -> Iterator[object]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as client:
        yield client


def prepare(project: Path, url: str, database: str, storage: str, gate: Gate, redis_url: str) -> None:
    with connect(parse_url(url), use_database=False) as client:
        client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    write_project(project, database, storage, TABLES, redis_url=redis_url)
    generated = muskox(project, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    assert generated.returncode == 0, generated.stderr
    add_raw_sql(project, 2, gate.sql, description="Waiting at the gate")


def at_gate(sql: object, gate: Gate, process: subprocess.Popen[bytes]) -> bool:
    return int(sql.query(gate.readers_query())[0][0]) == 1 or process.poll() is not None  # type: ignore[attr-defined]


def text(log: Path) -> str:
    return log.read_text(errors="replace")


@pytest.mark.parametrize(("signum", "code", "storage"), [
    (signal.SIGTERM, ExitCode.TERMINATED, "clickhouse"),
    (signal.SIGINT, ExitCode.INTERRUPTED, "redis"),
    (signal.SIGTERM, ExitCode.TERMINATED, "file"),
])
def test_a_signal_mid_plan_lets_the_running_operation_finish_records_it_and_unlocks(
        signum: int, code: ExitCode, storage: str, clickhouse_server: RunningServer, redis_server: RedisServer,
        tmp_path: Path, sql: object) -> None:
    database = f"sig_{storage}_{signum}"
    url = f"{clickhouse_server.http_url}/{database}"
    name = signal.Signals(signum).name
    log = tmp_path / "migrate.log"
    with Gate(tmp_path / "gate") as gate:
        prepare(tmp_path, url, database, storage, gate, redis_server.url)
        process = spawn(tmp_path, log, "migrate", "--clickhouse-url", url)
        try:
            wait_for(lambda: at_gate(sql, gate, process), "the migration to reach the gate")
            assert process.poll() is None, text(log)
            process.send_signal(signum)
            wait_for(lambda: f"{name} received" in text(log) or process.poll() is not None, "the stop notice")
            assert process.poll() is None, text(log)  # the running statement is waited for
            gate.open()
            assert process.wait(timeout=180) == code, text(log)
        finally:
            reap(process)
    seen = text(log)
    assert "Traceback" not in seen, seen
    assert f"Migration stopped by {name}: 3 of {TOTAL} operation(s) succeeded, 0 failed, 2 not run" in seen, seen
    assert f"✓ [3/{TOTAL}] Waiting at the gate" in seen
    assert f"· [4/{TOTAL}]" in seen and f"· [5/{TOTAL}]" in seen and f"\n[4/{TOTAL}] Creating" not in seen
    assert "muskox migrate --resume" in seen

    status = muskox(tmp_path, "lock", "status", "--clickhouse-url", url)
    assert status.returncode == 0 and "no migration lock is held" in status.stdout, status.stdout + status.stderr
    refused = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert refused.returncode == ExitCode.DRIFT, refused.stderr
    assert f"3 of {TOTAL} operation(s) are recorded as done" in refused.stderr  # the @done record was written
    resumed = muskox(tmp_path, "migrate", "--clickhouse-url", url, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"2 of {TOTAL} operation(s) left" in resumed.stderr and "Waiting at the gate" not in resumed.stderr
    assert muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code").returncode == ExitCode.OK


def test_a_second_signal_aborts_at_once_and_says_the_lock_may_remain(clickhouse_server: RunningServer,
                                                                    redis_server: RedisServer, tmp_path: Path,
                                                                    sql: object) -> None:
    database = "sig_twice"
    url = f"{clickhouse_server.http_url}/{database}"
    log = tmp_path / "migrate.log"
    with Gate(tmp_path / "gate") as gate:
        prepare(tmp_path, url, database, "clickhouse", gate, redis_server.url)
        process = spawn(tmp_path, log, "migrate", "--clickhouse-url", url)
        try:
            wait_for(lambda: at_gate(sql, gate, process), "the migration to reach the gate")
            process.send_signal(signal.SIGTERM)
            wait_for(lambda: "SIGTERM received" in text(log) or process.poll() is not None, "the stop notice")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == ExitCode.INTERRUPTED, text(log)  # the gate is still closed
            seen = text(log)
            assert "second signal (SIGINT): aborting at once; the migration lock may remain held" in seen, seen
            assert "muskox lock release" in seen and "Traceback" not in seen
            status = muskox(tmp_path, "lock", "status", "--clickhouse-url", url)
            assert "migration lock held by" in status.stdout, status.stdout + status.stderr
        finally:
            reap(process)


def test_after_the_grace_period_the_running_operation_is_left_and_reported(clickhouse_server: RunningServer,
                                                                           redis_server: RedisServer,
                                                                           tmp_path: Path, sql: object) -> None:
    database = "sig_grace"
    url = f"{clickhouse_server.http_url}/{database}"
    log = tmp_path / "migrate.log"
    with Gate(tmp_path / "gate") as gate:
        prepare(tmp_path, url, database, "file", gate, redis_server.url)
        process = spawn(tmp_path, log, "migrate", "--clickhouse-url", url,
                        env=clean_env(MUSKOX_STOP_GRACE_SECONDS="0"))
        try:
            wait_for(lambda: at_gate(sql, gate, process), "the migration to reach the gate")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=120) == ExitCode.TERMINATED, text(log)  # without waiting for the gate
        finally:
            reap(process)
    seen = text(log)
    assert f"2 of {TOTAL} operation(s) succeeded, 0 failed, 2 not run, 1 still running when muskox stopped" in seen
    assert f"? [3/{TOTAL}] Waiting at the gate (still running when muskox stopped" in seen, seen
    status = muskox(tmp_path, "lock", "status", "--clickhouse-url", url)
    assert "no migration lock is held" in status.stdout, status.stdout + status.stderr


def test_prod_stops_on_sigterm_while_waiting_for_the_lock_and_while_migrating(
        clickhouse_server: RunningServer, redis_server: RedisServer, tmp_path: Path, sql: object) -> None:
    database = "sig_prod"
    url = f"{clickhouse_server.http_url}/{database}"
    holder_log, waiter_log = tmp_path / "holder.log", tmp_path / "waiter.log"
    env = clean_env(MUSKOX_HTTP_SERVER_CONFIG__HOST="127.0.0.1", MUSKOX_HTTP_SERVER_CONFIG__PORT=str(free_port()))
    waiter_env = clean_env(MUSKOX_HTTP_SERVER_CONFIG__HOST="127.0.0.1",
                           MUSKOX_HTTP_SERVER_CONFIG__PORT=str(free_port()))
    with Gate(tmp_path / "gate") as gate:
        prepare(tmp_path, url, database, "clickhouse", gate, redis_server.url)
        holder = spawn(tmp_path, holder_log, "prod", "--clickhouse-url", url, env=env)
        waiter: subprocess.Popen[bytes] | None = None
        try:
            wait_for(lambda: at_gate(sql, gate, holder), "the boot migration to reach the gate")
            waiter = spawn(tmp_path, waiter_log, "prod", "--clickhouse-url", url, "--lock-wait", "600",
                           env=waiter_env)
            wait_for(lambda: "waiting up to" in text(waiter_log) or waiter.poll() is not None,
                     "the second replica to wait for the lock")
            waiter.send_signal(signal.SIGTERM)
            assert waiter.wait(timeout=60) == ExitCode.TERMINATED, text(waiter_log)
            assert "interrupted by SIGTERM before any operation ran: nothing was executed" in text(waiter_log)

            holder.send_signal(signal.SIGTERM)
            wait_for(lambda: "SIGTERM received" in text(holder_log) or holder.poll() is not None, "the notice")
            gate.open()
            assert holder.wait(timeout=180) == ExitCode.TERMINATED, text(holder_log)
        finally:
            reap(holder)
            if waiter is not None:
                reap(waiter)
    seen = text(holder_log)
    assert f"Migration stopped by SIGTERM: 3 of {TOTAL} operation(s) succeeded" in seen, seen
    assert "serving" not in seen and "Traceback" not in seen
    status = muskox(tmp_path, "lock", "status", "--clickhouse-url", url)
    assert "no migration lock is held" in status.stdout, status.stdout + status.stderr
