"""The plan is checked before anything runs (issue 12, item 3): a hand-edited plan.yaml that breaks a lifecycle
rule, or does not reach the code, is refused by ``migrate`` and by ``prod`` with exit 7 and nothing executed;
a consistent hand edit (an added ``RawSql``) still runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox.model.operations import DropTable, Operation, RawSql
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.e2e.plan_edits import append_operations, edit_operations
from tests.e2e.test_migrate import muskox
from tests.e2e.test_prod import Prod

MAIN = """
from pydantic import BaseModel
from muskox import Key, LifeCycle, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]
    v: int


kept = OlapTable[Row]("kept", OlapConfig(order_by_fields=["id"], life_cycle=LifeCycle.DELETION_PROTECTED))
outside = OlapTable[Row]("outside", OlapConfig(order_by_fields=["id"], life_cycle=LifeCycle.EXTERNALLY_MANAGED))
{extra}
"""


def write(project: Path, database: str, extra: str = "") -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(MAIN.replace("{extra}", extra))
    (project / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                         '[state_config]\nstorage = "file"\n')


@pytest.fixture
def world(clickhouse_server: RunningServer, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str, str]:
    """A project whose protected table ``kept`` holds a row, with a fresh plan adding table ``fresh``."""
    database = f"contract_{request.node.name[-12:].strip('[]_').replace('-', '_')}"
    url = f"{clickhouse_server.http_url}/{database}"
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
        admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
        admin.command(f"CREATE DATABASE `{database}`")
        admin.command(f"CREATE TABLE `{database}`.outside (id String, v Int64) ENGINE = MergeTree ORDER BY id")
    write(tmp_path, database)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == 0
    with connect(parse_url(url)) as client:
        client.command("INSERT INTO kept VALUES ('a', 1)")
    write(tmp_path, database, 'fresh = OlapTable[Row]("fresh", OlapConfig(order_by_fields=["id"]))')
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    return tmp_path, url, database


def tables(url: str) -> list[str]:
    with connect(parse_url(url)) as client:
        return sorted(str(row[0]) for row in client.query("SELECT name FROM system.tables WHERE database = "
                                                          "currentDatabase()"))


@pytest.mark.parametrize("added, rule", [
    (DropTable(table="kept"), "DELETION_PROTECTED"),
    (DropTable(table="outside"), "EXTERNALLY_MANAGED"),
    (RawSql(sql=("SELECT 1",), description="harmless"), None),
], ids=["protected_drop", "external_drop", "raw_sql"])
def test_migrate_checks_the_plan_before_running_it(world: tuple[Path, str, str], added: Operation,
                                                   rule: str | None) -> None:
    project, url, _database = world
    append_operations(project, added)
    result = muskox(project, "migrate", "--clickhouse-url", url)
    if rule is None:  # a consistent hand edit runs
        assert result.returncode == ExitCode.OK, result.stderr
        assert tables(url) == ["fresh", "kept", "outside"]
        return
    assert result.returncode == ExitCode.PLAN_INVALID, result.stderr
    assert "nothing was executed" in result.stderr
    assert f"operations[1] (DropTable: {added.describe()}) is refused: it is {rule}" in result.stderr
    assert tables(url) == ["kept", "outside"]  # not even the CreateTable before it ran
    with connect(parse_url(url)) as client:
        assert client.query("SELECT count() FROM kept")[0][0] == 1


def test_a_plan_that_does_not_reach_the_code_is_refused(world: tuple[Path, str, str]) -> None:
    project, url, _database = world
    edit_operations(project, lambda operations: ())
    result = muskox(project, "migrate", "--clickhouse-url", url)
    assert result.returncode == ExitCode.PLAN_INVALID, result.stderr
    assert "does not reach local_infra_map.json" in result.stderr
    assert tables(url) == ["kept", "outside"]


def test_prod_refuses_the_protected_drop_and_does_not_serve(world: tuple[Path, str, str]) -> None:
    project, url, _database = world
    append_operations(project, DropTable(table="kept"))
    prod = Prod(project, url)
    assert prod.wait() == ExitCode.PLAN_INVALID, prod.output
    assert "is refused: it is DELETION_PROTECTED" in prod.output and "Traceback" not in prod.output
    assert "muskox prod did not start (plan mismatch)" in prod.output
    assert tables(url) == ["kept", "outside"]


def test_plan_files_of_another_database_name_the_real_problem(world: tuple[Path, str, str],
                                                             clickhouse_server: RunningServer) -> None:
    """Plan files made for another db_name (or another project) are refused as such, not as a table "moved"."""
    project, _url, database = world
    other = f"{database}_other"
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
        admin.command(f"DROP DATABASE IF EXISTS `{other}` SYNC")
    write(project, other, 'fresh = OlapTable[Row]("fresh", OlapConfig(order_by_fields=["id"]))')
    result = muskox(project, "migrate", "--clickhouse-url", f"{clickhouse_server.http_url}/{other}")
    assert result.returncode == ExitCode.PLAN_INVALID, result.stderr
    assert f"the plan was generated for database '{database}' but this run targets '{other}'" in result.stderr
    assert "moved from database" not in result.stderr and "Traceback" not in result.stderr
