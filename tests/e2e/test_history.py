"""The migration history in the state store (issue 14, item 3): each migrate records who applied what, when, how
long each operation took and how it ended, in every built-in store; ``muskox logs --history`` reads it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from muskox.apply.history import decode_entries
from muskox.exit_codes import ExitCode
from muskox.model.operations import RawSql
from muskox.testing.redis import RedisServer
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.plan_edits import append_operations
from tests.e2e.test_migrate import muskox, write_project


def break_plan(project: Path) -> None:
    """Append a raw SQL statement the server refuses."""
    append_operations(project, RawSql(sql=("INSERT INTO no_such_table VALUES (1)",), description="a broken backfill"))


@pytest.mark.parametrize("storage", ["file", "redis", "clickhouse"])
def test_three_migrates_are_read_back_from_the_store(clickhouse_server: RunningServer, redis_server: RedisServer,
                                                    tmp_path: Path, storage: str) -> None:
    database = f"history_{storage}"
    url = f"{clickhouse_server.http_url}/{database}"
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
        admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    redis_url = redis_server.url if storage == "redis" else None
    outcomes = []
    for tables, broken in ((2, False), (3, True)):  # a plan applied, then one that fails
        write_project(tmp_path, database, storage, tables, redis_url=redis_url)
        generated = muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
        assert generated.returncode == 0, generated.stderr
        if broken:
            break_plan(tmp_path)
        outcomes.append(muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode)
    outcomes.append(muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode)  # refused: partly applied
    assert outcomes == [ExitCode.OK, ExitCode.APPLY_FAILED, ExitCode.DRIFT]

    shown = muskox(tmp_path, "logs", "--history", "--json", "--clickhouse-url", url)
    assert shown.returncode == 0, shown.stderr
    entries = decode_entries(shown.stdout.splitlines())
    assert "http://" not in shown.stdout and "INSERT INTO" not in shown.stdout  # descriptions only: no URL, no SQL
    assert [entry["outcome"] for entry in entries] == ["applied", "failed", "refused"]
    applied, failed, refused = entries
    assert {entry["command"] for entry in entries} == {"migrate"} and applied["mode"] == "snapshot"
    assert applied["by"]["machine"] and applied["by"]["user"] and applied["time"].endswith("Z")
    assert [(op["n"], op["outcome"]) for op in applied["operations"]] == [(1, "ok"), (2, "ok")]
    assert all(op["seconds"] >= 0 for op in applied["operations"])
    assert [op["outcome"] for op in failed["operations"]] == ["ok", "failed"]
    assert "no_such_table" in failed["operations"][1]["error"] or "UNKNOWN_TABLE" in failed["operations"][1]["error"]
    assert refused["plan"] == failed["plan"] and "partly applied" in refused["error"]
    assert "operations" not in refused

    readable = muskox(tmp_path, "logs", "--history", "--limit", "2", "--clickhouse-url", url)
    assert readable.returncode == 0, readable.stderr
    assert "FAILED" in readable.stdout and "REFUSED" in readable.stdout and "APPLIED" not in readable.stdout
    assert "✗ [2] a broken backfill" in readable.stdout
    filtered = muskox(tmp_path, "logs", "--history", "--json", "--filter", "refused", "--clickhouse-url", url)
    assert [json.loads(line)["outcome"] for line in filtered.stdout.splitlines()] == ["refused"]
