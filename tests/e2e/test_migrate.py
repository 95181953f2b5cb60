"""``muskox migrate`` end to end: drift, eight concurrent runs per state store, and a crash mid-plan."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox.model.operations import RawSql
from muskox.testing.redis import RedisServer
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.plan_edits import insert_operation
from tests.sync import Gate, wait_for

ROWS_MODEL = """
from datetime import datetime
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]
    ts: datetime
    v: int
"""


def write_project(project: Path, database: str, storage: str, tables: int, extra: str = "",
                  redis_url: str | None = None) -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    body = ROWS_MODEL + "".join(f't{i} = OlapTable[Row]("t{i}", OlapConfig(order_by_fields=["id"]))\n'
                                for i in range(tables)) + extra
    (project / "app" / "main.py").write_text(body)
    config = f'[clickhouse_config]\ndb_name = "{database}"\n[state_config]\nstorage = "{storage}"\n'
    if redis_url:
        config += f'[redis_config]\nurl = "{redis_url}"\nkey_prefix = "{database}"\n'
    (project / "muskox.toml").write_text(config)


def muskox(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def spawn(project: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start ``muskox ARGS`` with its stdout and stderr in ``log`` (a file: a full pipe never stalls it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "muskox", "--project", str(project), *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` if it still runs, and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=60)


def add_raw_sql(project: Path, position: int, *statements: str, description: str) -> None:
    """Hand-edit the plan: insert a RawSql operation (a supported edit)."""
    insert_operation(project, position, RawSql(sql=tuple(statements), description=description))


@pytest.fixture
def sql(clickhouse_server: RunningServer) -> Iterator[object]:
    with connect(parse_url(clickhouse_server.http_url)) as client:
        yield client


def test_out_of_band_alter_is_drift_and_nothing_runs(clickhouse_server: RunningServer, tmp_path: Path,
                                                     sql: object) -> None:
    url = f"{clickhouse_server.http_url}/mig_drift"
    write_project(tmp_path, "mig_drift", "file", 2)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == 0
    write_project(tmp_path, "mig_drift", "file", 3)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    sql.command("ALTER TABLE mig_drift.t0 ADD COLUMN drift_column String")  # type: ignore[attr-defined]

    result = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert result.returncode == ExitCode.DRIFT, result.stderr
    assert "the database changed since the migration plan was generated" in result.stderr
    assert "~ table t0: column drift_column added" in result.stderr
    assert "muskox generate migration" in result.stderr
    tables = sql.query("SELECT name FROM system.tables WHERE database = 'mig_drift'")  # type: ignore[attr-defined]
    assert sorted(t[0] for t in tables) == ["t0", "t1"]  # t2 was planned but nothing was executed


@pytest.mark.parametrize("storage", ["file", "clickhouse", "redis"])
def test_eight_concurrent_migrations_apply_once(storage: str, clickhouse_server: RunningServer,
                                                redis_server: RedisServer, tmp_path: Path, sql: object) -> None:
    database = f"mig_race_{storage}"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, storage, 20, redis_url=redis_server.url)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    with Gate(tmp_path / "gate") as gate:
        # the run that wins the lock stops at the gate, its first operation, and holds the lock there until the
        # test opens the gate: every other run meets the lock held, however slowly the eight start
        add_raw_sql(tmp_path, 0, gate.sql, description="Holding the lock for the test")
        logs = [tmp_path / f"migrate-{index}.log" for index in range(8)]
        processes = [spawn(tmp_path, log, "migrate", "--clickhouse-url", url) for log in logs]
        try:
            def settled() -> bool:  # every run has either ended or stands at the gate
                at_gate = int(sql.query(gate.readers_query())[0][0])  # type: ignore[attr-defined]
                return sum(p.poll() is not None for p in processes) + at_gate == len(processes)

            wait_for(settled, "each of the eight runs to end or to reach the gate")
            assert sql.query(gate.readers_query())[0][0] == 1  # type: ignore[attr-defined]  # 7 ended meanwhile
            gate.open()
            codes = [p.wait(timeout=180) for p in processes]
        finally:
            for process in processes:
                stop(process)
    results = [(code, log.read_text(errors="replace")) for code, log in zip(codes, logs, strict=True)]
    applied = [r for r in results if r[0] == ExitCode.OK and "Applied 21 operation(s)" in r[1]]
    held = [r for r in results if r[0] == ExitCode.LOCK_HELD]
    assert len(applied) == 1, [r[1][-300:] for r in results]
    assert len(held) == 7, [r[1][-300:] for r in results]
    assert all("Migration already in progress on machine" in r[1] for r in held)
    tables = sql.query(f"SELECT count() FROM system.tables WHERE database = '{database}' "  # type: ignore[attr-defined]
                       "AND name LIKE 't%'")
    assert tables[0][0] == 20
    if storage == "clickhouse":
        rows = sql.query(f"SELECT count() FROM `{database}`.`_MOOSE_STATE` "  # type: ignore[attr-defined]
                         "WHERE key LIKE 'muskox_infra_map_%'")
        assert rows[0][0] == 1  # the state was written once
    assert muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code").returncode == ExitCode.OK


def test_crash_mid_plan_is_reported_and_recovers_without_losing_rows(clickhouse_server: RunningServer,
                                                                      tmp_path: Path, sql: object) -> None:
    database = "mig_crash"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, "clickhouse", 1)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == 0
    sql.command(f"INSERT INTO {database}.t0 SELECT toString(number), now(), number "  # type: ignore[attr-defined]
                "FROM numbers(1000)")

    write_project(tmp_path, database, "clickhouse", 200)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    with Gate(tmp_path / "gate") as gate:
        # the run stops at the gate, half of the plan applied, and is killed there: it cannot get further first
        add_raw_sql(tmp_path, 100, gate.sql, description="Pausing mid-plan")
        log = tmp_path / "migrate.log"
        process = spawn(tmp_path, log, "migrate", "--clickhouse-url", url)
        try:
            wait_for(lambda: sql.query(gate.readers_query())[0][0] == 1  # type: ignore[attr-defined]
                     or process.poll() is not None, "the migration to reach the gate")
            assert process.poll() is None, log.read_text(errors="replace")[-2000:]
            os.kill(process.pid, signal.SIGKILL)
        finally:
            stop(process)
    seen = log.read_text(errors="replace")
    assert "[101/200] Pausing mid-plan" in seen and "[102/" not in seen, seen[-2000:]

    held = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert held.returncode == ExitCode.LOCK_HELD, held.stderr  # the dead process still holds the lock
    released = muskox(tmp_path, "lock", "release", "--clickhouse-url", url)
    assert released.returncode == 0, released.stderr + released.stdout
    truthful = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert truthful.returncode == ExitCode.DRIFT, truthful.stderr  # never a silent success
    assert "was partly applied by an earlier run: 0 of 200 operation(s) are recorded as done" in truthful.stderr
    unrecorded = muskox(tmp_path, "migrate", "--clickhouse-url", url, "--resume")  # kill -9 recorded nothing
    assert unrecorded.returncode == ExitCode.DRIFT, unrecorded.stderr
    assert "cannot be resumed" in unrecorded.stderr and "added to the database" in unrecorded.stderr

    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    recovered = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert recovered.returncode == 0, recovered.stderr
    assert muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code").returncode == ExitCode.OK
    count = sql.query(f"SELECT count() FROM {database}.t0")  # type: ignore[attr-defined]
    assert count[0][0] == 1000


def test_on_a_terminal_a_progress_bar_runs_under_the_lines(clickhouse_server: RunningServer, tmp_path: Path) -> None:
    url = f"{clickhouse_server.http_url}/mig_bar"
    write_project(tmp_path, "mig_bar", "file", 12)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    code, text = run_on_terminal(tmp_path, "", "migrate", "--clickhouse-url", url)
    assert code == 0, text
    assert "[12/12] Creating table" in text
    assert "/12 operations" in text and "\x1b[K" in text  # the bar, redrawn in place
    assert "12/12 operations" not in text  # erased, not left full, when the last operation ended
    # plain last lines: the bar is erased before them
    assert re.search(r"\x1b\[KRecorded plan [0-9a-f]{16} as applied\r?\n"
                     r"Applied 12 operation\(s\) in [\d.]+ s\s*$", text)


def run_on_terminal(project: Path, answers: str, *args: str) -> tuple[int, str]:
    """Run muskox with stdin, stdout and stderr on a pseudo-terminal, the ``answers`` typed ahead."""
    import pty

    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))} | {"TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "muskox", "--project", str(project), *args], env=env,
                               stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    os.write(controller, answers.encode())
    written = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        written += chunk
    os.close(controller)
    return process.wait(timeout=120), written.decode()


@pytest.mark.parametrize("deltas", [False, True], ids=["snapshot", "delta"])
def test_a_kept_old_version_is_declared_externally_managed_and_left_alone(
        clickhouse_server: RunningServer, tmp_path: Path, sql: object, deltas: bool) -> None:
    database = f"mig_retain_{'delta' if deltas else 'snapshot'}"
    url = f"{clickhouse_server.http_url}/{database}"
    (tmp_path / "app").mkdir()
    (tmp_path / "muskox.toml").write_text(
        f'[clickhouse_config]\ndb_name = "{database}"\n[state_config]\nstorage = "file"\n'
        f"[features]\nmigrate_with_deltas = {str(deltas).lower()}\n")

    def declare(version: str) -> None:
        (tmp_path / "app" / "main.py").write_text(
            ROWS_MODEL + f'events = OlapTable[Row]("events", OlapConfig(order_by_fields=["id"], '
                         f'version="{version}"))\n')

    declare("1")
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == 0
    sql.command(f"INSERT INTO {database}.events_1 VALUES ('a', now(), 1)")  # type: ignore[attr-defined]
    declare("2")
    code, text = run_on_terminal(tmp_path, "y\ny\n", "generate", "migration", "--clickhouse-url", url, "--save")
    assert code == 0, text
    module = f"retained_{database}_events_1"
    assert "Keep old table events_1?" in text and f"wrote app/{module}.py" in text
    assert f"import app.{module}" in (tmp_path / "app" / "main.py").read_text()
    applied = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert applied.returncode == 0, applied.stderr
    rows = sql.query(f"SELECT (SELECT count() FROM {database}.events_1), "  # type: ignore[attr-defined]
                     f"(SELECT count() FROM {database}.events_2)")
    assert rows == [(1, 1)]  # the old table kept its row, the new one got it by the backfill
    plan = muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code")
    assert plan.returncode == 0, plan.stdout + plan.stderr  # the kept table is declared: nothing to drop
