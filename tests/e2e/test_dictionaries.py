"""Dictionaries on the real ClickHouse: the ``dictionaries_and_sql`` project (a table source with an invalidation
query, a query source, a MySQL source with a password) through ``generate migration --save``, ``migrate`` and an
empty ``plan`` in snapshot and delta mode; a changed dictionary is a ``ReplaceDictionary``; one changed on the
server is drift; the password is in no file and no output, and reaches the server."""

from __future__ import annotations

import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from muskox.cli.main import run
from muskox.exit_codes import ExitCode
from muskox_clickhouse.local import RunningServer
from tests.moose_projects import project

SECRET = "mysql-secret"


def sql(server: RunningServer, statement: str) -> str:
    request = urllib.request.Request(f"{server.http_url}/?{urllib.parse.urlencode({'query': statement})}",
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(response.read().decode())


@pytest.fixture
def muskox_in(tmp_path: Path, clickhouse_server: RunningServer, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def make(mode: str):  # type: ignore[no-untyped-def]
        database = f"dict_{mode}"
        sql(clickhouse_server, f"DROP DATABASE IF EXISTS `{database}` SYNC")
        directory = tmp_path / mode
        shutil.copytree(project("dictionaries_and_sql").path, directory)
        monkeypatch.setenv("MUSKOX_FEATURES__MIGRATE_WITH_DELTAS", "true" if mode == "delta" else "false")

        def muskox(*args: str) -> tuple[int, str]:
            code = run(["--project", str(directory), *args, "--clickhouse-url",
                        f"{clickhouse_server.http_url}/{database}"])
            captured = capsys.readouterr()
            return code, captured.out + captured.err

        return directory, database, muskox

    return make


def _no_secret(directory: Path, *outputs: str) -> None:
    for written in directory.rglob("*"):
        if written.is_file() and written.suffix in (".yaml", ".json", ".jsonl", ".log"):
            assert SECRET not in written.read_text(errors="replace"), written
    for output in outputs:
        assert SECRET not in output


@pytest.mark.parametrize("mode", ["snapshot", "delta"])
def test_dictionaries_generate_migrate_plan_empty(mode: str, muskox_in, clickhouse_server: RunningServer) -> None:  # type: ignore[no-untyped-def]
    directory, database, muskox = muskox_in(mode)
    code, generated = muskox("generate", "migration", "--save", "--yes-all")
    assert code == ExitCode.OK, generated
    saved = "".join(p.read_text() for p in (directory / "migrations").glob("*.yaml"))
    assert "CreateDictionary" in saved and "[HIDDEN]" in saved, saved
    code, shown = muskox("plan", "--sql")
    assert code == ExitCode.OK, shown
    code, migrated = muskox("migrate")
    assert code == ExitCode.OK, migrated
    names = sql(clickhouse_server, f"SELECT name FROM system.dictionaries WHERE database = '{database}' ORDER BY name")
    assert names.split() == ["dict_accounts", "dict_countries", "dict_products"]
    code, planned = muskox("plan", "--exit-code")
    assert code == ExitCode.OK, planned
    assert "No changes" in planned, planned
    _no_secret(directory, generated, shown, migrated, planned)
    sql(clickhouse_server, f"INSERT INTO `{database}`.products VALUES ('p1', 'Pen', 'office', 1)")
    assert sql(clickhouse_server, f"SELECT dictGet('{database}.dict_products', 'category', tuple('p1'))").strip() \
        == "office"


def test_changed_dictionary_is_replaced_and_server_change_is_drift(muskox_in,  # type: ignore[no-untyped-def]
                                                                    clickhouse_server: RunningServer) -> None:
    directory, database, muskox = muskox_in("change")
    assert muskox("generate", "migration", "--save", "--yes-all")[0] == ExitCode.OK
    assert muskox("migrate")[0] == ExitCode.OK
    lookups = directory / "app" / "lookups.py"
    lookups.write_text(lookups.read_text().replace("lifetime=300", "lifetime=600"))
    code, output = muskox("generate", "migration", "--save", "--yes-all")
    assert code == ExitCode.OK, output
    plan = (directory / "migrations" / "plan.yaml").read_text()
    assert "ReplaceDictionary" in plan and "DropDictionary" not in plan, plan
    # someone changes a dictionary on the server before the plan runs: drift, nothing executed
    sql(clickhouse_server, f"CREATE OR REPLACE DICTIONARY `{database}`.dict_countries (code UInt64, name String) "
                           f"PRIMARY KEY code SOURCE(CLICKHOUSE(QUERY 'SELECT 1 AS code, \\'x\\' AS name')) "
                           f"LIFETIME(1) LAYOUT(FLAT())")
    code, output = muskox("migrate")
    assert code == ExitCode.DRIFT, output
    assert "dictionary dict_countries" in output, output
    code, output = muskox("generate", "migration", "--save", "--yes-all")
    assert code == ExitCode.OK, output
    code, output = muskox("migrate")
    assert code == ExitCode.OK, output
    assert "MAX 600" in sql(clickhouse_server, f"SELECT create_table_query FROM system.tables WHERE database = "
                                               f"'{database}' AND name = 'dict_countries'")
    code, output = muskox("plan", "--exit-code")
    assert code == ExitCode.OK and "No changes" in output, output
    _no_secret(directory)
