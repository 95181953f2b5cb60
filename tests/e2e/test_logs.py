"""``muskox logs``: what commands ran on the servers, from the project's ``.muskox/logs/``, with no secret in it."""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from muskox.exit_codes import ExitCode
from muskox.logs.files import LogDirectory, file_name
from muskox.logs.reading import parse_duration
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_migrate import add_raw_sql, muskox, write_project
from tests.sync import wait_for

SECRET = "hunter2-secret"


def records(project: Path, *args: str) -> list[dict[str, object]]:
    result = muskox(project, "logs", "--json", *args)
    assert result.returncode == ExitCode.OK, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def log_text(project: Path) -> str:
    return "".join(path.read_text() for path in sorted((project / ".muskox" / "logs").iterdir()))


def test_migrate_statements_are_logged_with_outcomes_and_nothing_secret(clickhouse_server: RunningServer,
                                                                          tmp_path: Path) -> None:
    database = "logs_migrate"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, "file", 2)
    old = datetime.date.today() - datetime.timedelta(days=10)
    logs = tmp_path / ".muskox" / "logs"
    logs.mkdir(parents=True)
    (logs / file_name(old, 0)).write_text('{"event": "command"}\n')  # past the 7 days kept

    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    add_raw_sql(tmp_path, 2, f"SELECT 'x' AS password WHERE password = '{SECRET}'", description="a secret literal")
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == ExitCode.OK
    refused = muskox(tmp_path, "plan", "--clickhouse-url",
                     f"http://default:{SECRET}@127.0.0.1:{clickhouse_server.http_port}/{database}")
    assert refused.returncode == ExitCode.CONNECTION

    assert not (logs / file_name(old, 0)).exists()
    assert SECRET not in log_text(tmp_path)
    migrate = [r for r in records(tmp_path) if r["command"] == "migrate"]
    assert migrate[0]["event"] == "command" and migrate[-1]["event"] == "end"
    assert migrate[-1]["exit_code"] == 0 and migrate[-1]["exit_name"] == "OK"
    statements = [r for r in migrate if r["event"] == "statement"]
    assert [s["outcome"] for s in statements] == ["ok"] * len(statements)
    assert any(str(s["sql"]).startswith(f"CREATE TABLE IF NOT EXISTS `{database}`.`t0`") for s in statements)
    assert any("password = '****'" in str(s["sql"]) for s in statements)
    assert all(isinstance(s["seconds"], float) and s["tenant"] is None for s in statements)
    plan = [r for r in records(tmp_path) if r["command"] == "plan"]
    assert plan[0]["server"] == f"http://default:****@127.0.0.1:{clickhouse_server.http_port}/{database}"
    assert plan[-1]["exit_name"] == "CONNECTION" and "refused the credentials" in str(plan[-1]["error"])

    readable = muskox(tmp_path, "logs", "--filter", "t1").stdout.splitlines()
    assert readable and all("t1" in line for line in readable)
    assert any(" migrate[" in line and "ok " in line and "CREATE TABLE" in line for line in readable)
    assert records(tmp_path, "--since", "1h") == records(tmp_path)


def test_a_failed_statement_is_logged_with_the_server_code(clickhouse_server: RunningServer, tmp_path: Path) -> None:
    database = "logs_failed"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, "file", 1)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    add_raw_sql(tmp_path, 1, f"SELECT * FROM {database}.no_such_table", description="a missing table")
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == ExitCode.APPLY_FAILED

    failed = [r for r in records(tmp_path) if r["event"] == "statement" and r["outcome"] == "error"]
    assert len(failed) == 1 and failed[0]["sql"] == f"SELECT * FROM {database}.no_such_table"
    assert failed[0]["error_code"] == 60 and failed[0]["error_name"] == "UNKNOWN_TABLE"
    end = records(tmp_path)[-1]
    assert end["event"] == "end" and end["exit_name"] == "APPLY_FAILED"
    readable = muskox(tmp_path, "logs").stdout
    assert "FAIL" in readable and "error 60 (UNKNOWN_TABLE)" in readable


def test_follow_prints_records_as_commands_write_them(clickhouse_server: RunningServer, tmp_path: Path) -> None:
    database = "logs_follow"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, "file", 1)
    out = tmp_path / "follow.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    with out.open("wb") as sink:
        follower = subprocess.Popen([sys.executable, "-m", "muskox", "--project", str(tmp_path), "logs", "-f",
                                     "--json"], stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
        assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == 0

        def migrate_ended() -> bool:
            lines = [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]
            return any(r["command"] == "migrate" and r["event"] == "end" for r in lines)

        wait_for(migrate_ended, "the end of migrate in the output of muskox logs -f")
    finally:
        follower.send_signal(signal.SIGINT)
        code = follower.wait(timeout=60)
    assert code in (ExitCode.OK, -signal.SIGINT), out.read_text()


def test_log_files_roll_over_and_stay_bounded(tmp_path: Path) -> None:
    directory = LogDirectory(tmp_path, max_file_bytes=100, max_total_bytes=250)
    today = datetime.date(2026, 4, 15)
    for number in range(12):
        directory.append(json.dumps({"n": number, "pad": "x" * 20}), today)
    files = directory.files()
    assert [f.part for f in files] == list(range(files[0].part, files[0].part + len(files)))
    assert all(f.path.stat().st_size <= 100 for f in files)
    assert sum(f.path.stat().st_size for f in files) <= 250 + 100
    directory.append("{}", today + datetime.timedelta(days=8))
    assert {f.day for f in directory.files()} == {today + datetime.timedelta(days=8)}


def test_durations() -> None:
    assert parse_duration("90") == datetime.timedelta(seconds=90)
    assert parse_duration("1h30m") == datetime.timedelta(minutes=90)
    assert parse_duration("2d") == datetime.timedelta(days=2)
    assert muskox(Path(), "logs", "--since", "soon").returncode == ExitCode.USAGE
