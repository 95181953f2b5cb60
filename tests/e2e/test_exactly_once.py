"""A reviewed plan runs once (issue 12, item 4): it is recorded in the state store when it succeeds, raw SQL is
recorded statement by statement, a plan that stopped part-way is reported (exit 8) until ``migrate --resume``
finishes exactly what is left, and replicas booting together apply it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox.model.operations import RawSql
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.plan_edits import append_operations
from tests.e2e.test_migrate import muskox
from tests.e2e.test_prod import Prod

MAIN = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]
    v: int


events = OlapTable[Row]("events", OlapConfig(order_by_fields=["id"]))
{extra}
"""


def write(project: Path, database: str, extra: str = "") -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(MAIN.replace("{extra}", extra))
    (project / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                         '[state_config]\nstorage = "file"\n')


def rows(url: str) -> list[tuple[str, int]]:
    with connect(parse_url(url)) as client:
        return [(str(r[0]), int(r[1])) for r in client.query("SELECT id, v FROM events ORDER BY id, v")]


@pytest.fixture
def world(clickhouse_server: RunningServer, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    """A project whose table ``events`` exists and is recorded; the code then adds table ``more``."""
    database = f"once_{request.node.name[-14:].strip('[]_').replace('-', '_')}"
    url = f"{clickhouse_server.http_url}/{database}"
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
        admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    write(tmp_path, database)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == 0
    return tmp_path, url


def test_a_raw_sql_only_plan_runs_once_across_three_migrates(world: tuple[Path, str]) -> None:
    project, url = world
    assert muskox(project, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    append_operations(project, RawSql(sql=("INSERT INTO events VALUES ('seed', 1)",), description="seed a row"))
    first = muskox(project, "migrate", "--clickhouse-url", url)
    assert first.returncode == ExitCode.OK, first.stderr
    for _ in range(2):
        again = muskox(project, "migrate", "--clickhouse-url", url)
        assert again.returncode == ExitCode.OK, again.stderr
        assert "was already applied - nothing to do" in again.stderr
    assert rows(url) == [("seed", 1)]


def test_replicas_booting_together_apply_a_plan_once(world: tuple[Path, str]) -> None:
    project, url = world
    assert muskox(project, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    append_operations(project, RawSql(sql=("INSERT INTO events VALUES ('boot', 7)",), description="seed at boot"))
    replicas = [Prod(project, url) for _ in range(3)]
    try:
        for replica in replicas:
            replica.wait_healthy()
    finally:
        outputs = [replica.output for replica in replicas]
        for replica in replicas:
            replica.stop()
    assert rows(url) == [("boot", 7)], outputs
    assert sum("was already applied - nothing to do" in output for output in outputs) == 2, outputs


FAILING = RawSql(sql=("INSERT INTO events VALUES ('b', 2)", "INSERT INTO missing_table VALUES ('x')",
                      "INSERT INTO events VALUES ('c', 3)"), description="backfill in three steps")


def fail_part_way(project: Path, url: str) -> None:
    """The code adds table ``more``; the plan adds it, then runs ``FAILING``, which stops at its 2nd statement."""
    write(project, parse_url(url).database or "", 'more = OlapTable[Row]("more", OlapConfig(order_by_fields=["id"]))')
    assert muskox(project, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    append_operations(project, FAILING)
    failed = muskox(project, "migrate", "--clickhouse-url", url)
    assert failed.returncode == ExitCode.APPLY_FAILED, failed.stderr
    assert "statement 2 of 3 failed (statement(s) 1-1 committed, 1 not run)" in failed.stderr
    assert "✓ [1/2] Creating table 'more'" in failed.stderr


def test_a_plan_that_stopped_part_way_is_reported_then_resumed_exactly(world: tuple[Path, str]) -> None:
    project, url = world
    fail_part_way(project, url)
    again = muskox(project, "migrate", "--clickhouse-url", url)
    assert again.returncode == ExitCode.DRIFT, again.stderr
    assert "was partly applied by an earlier run: 1 of 2 operation(s) are recorded as done" in again.stderr
    assert "◐ [2/2] backfill in three steps (statements 1-1 of 3 ran)" in again.stderr
    assert "already matches" not in again.stderr
    assert "muskox migrate --resume" in again.stderr
    assert rows(url) == [("b", 2)]

    with connect(parse_url(url)) as client:  # the operator fixes the cause
        client.command("CREATE TABLE missing_table (id String) ENGINE = MergeTree ORDER BY id")
    resumed = muskox(project, "migrate", "--clickhouse-url", url, "--resume")
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    assert "1 of 2 operation(s) left" in resumed.stderr
    assert rows(url) == [("b", 2), ("c", 3)]  # statement 1 did not run twice
    with connect(parse_url(url)) as client:
        assert client.query("SELECT count() FROM missing_table")[0][0] == 1
    final = muskox(project, "migrate", "--clickhouse-url", url)
    assert final.returncode == ExitCode.OK and "was already applied" in final.stderr, final.stderr


def test_resume_refuses_a_database_that_moved(world: tuple[Path, str]) -> None:
    project, url = world
    fail_part_way(project, url)
    with connect(parse_url(url)) as client:
        client.command("DROP TABLE more SYNC")
    resumed = muskox(project, "migrate", "--clickhouse-url", url, "--resume")
    assert resumed.returncode == ExitCode.DRIFT, resumed.stderr
    assert "cannot be resumed" in resumed.stderr and "nothing was executed" in resumed.stderr
    assert rows(url) == [("b", 2)]
