"""A table declared in a database outside ``[clickhouse_config] additional_databases`` converges (issue 15):
introspection reads every database the code or the stored state names, in the same number of queries, so after
one ``migrate`` the plan is empty, and a table removed from the code is dropped. Real ClickHouse."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from muskox.cli.main import run
from muskox.exit_codes import ExitCode
from muskox.plugin.databases import declared_databases
from muskox_clickhouse import ClickHouseBackend, connect, parse_url
from muskox_clickhouse.dialect.quoting import quote_string
from muskox_clickhouse.local import RunningServer

CODE = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable, View, ViewConfig


class Row(BaseModel):
    id: Key[str]
    v: int


rows = OlapTable[Row]("rows", OlapConfig(order_by_fields=["id"]))
"""
ELSEWHERE = """
other = OlapTable[Row]("other_rows", OlapConfig(order_by_fields=["id"], database="{database}"))
other_view = View("other_view", ViewConfig(select_statement="SELECT id FROM {database}.other_rows",
                                           base_tables=[other], database="{database}"))
"""


def cli(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run(["--project", str(project), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def tables(server: RunningServer, database: str) -> list[str]:
    with connect(parse_url(server.http_url), use_database=False) as client:
        rows = client.query(f"SELECT name FROM system.tables WHERE database = {quote_string(database)} ORDER BY name")
    return [str(name) for (name,) in rows]


@pytest.mark.parametrize("storage", ["clickhouse", "file"])
def test_a_table_in_an_unlisted_database_converges(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    clickhouse_server: RunningServer, storage: str) -> None:
    main, elsewhere = f"conv_{uuid.uuid4().hex[:8]}", f"conv_other_{uuid.uuid4().hex[:8]}"
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "main.py").write_text(CODE + ELSEWHERE.format(database=elsewhere))
    (project / "muskox.toml").write_text(f'[clickhouse_config]\nurl = "{clickhouse_server.http_url}/{main}"\n'
                                         f'db_name = "{main}"\n[state_config]\nstorage = "{storage}"\n')
    code, text = cli(project, capsys, "plan", "--exit-code")
    assert code == ExitCode.CHANGES_PENDING and "3 to add" in text, text
    assert cli(project, capsys, "generate", "migration", "--save", "--yes-all")[0] == ExitCode.OK
    code, text = cli(project, capsys, "migrate")
    assert code == ExitCode.OK, text
    assert tables(clickhouse_server, elsewhere) == ["other_rows", "other_view"]

    code, text = cli(project, capsys, "plan", "--exit-code")
    assert code == ExitCode.OK, text  # converged: the table is seen where it was created
    assert cli(project, capsys, "generate", "migration", "--save", "--yes-all")[0] == ExitCode.OK
    code, text = cli(project, capsys, "migrate")
    assert code == ExitCode.OK and "already up to date" in text, text

    # removed from the code: the stored state names the database, so the table is seen and dropped
    (project / "app" / "main.py").write_text(CODE)
    code, text = cli(project, capsys, "plan", "--exit-code")
    assert code == ExitCode.CHANGES_PENDING and "2 to drop" in text, text
    assert cli(project, capsys, "generate", "migration", "--save", "--yes-all")[0] == ExitCode.OK
    code, text = cli(project, capsys, "migrate")
    assert code == ExitCode.OK, text
    assert tables(clickhouse_server, elsewhere) == []
    assert cli(project, capsys, "plan", "--exit-code")[0] == ExitCode.OK


def test_the_extra_databases_cost_no_extra_query(clickhouse_server: RunningServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The same queries read one database or five (a longer IN list)."""
    from muskox.model.infra_map import InfraMap
    from muskox.model.table import Column, Table
    from muskox.model.types import Simple

    def counted(databases: list[str] | None) -> int:
        backend = ClickHouseBackend(parse_url(f"{clickhouse_server.http_url}/{databases[0] if databases else 'x'}"))
        seen: list[str] = []
        original = type(backend.client).select_rows

        def select_rows(self: object, sql: str) -> list[tuple[object, ...]]:
            seen.append(sql)
            return original(self, sql)  # type: ignore[arg-type]

        monkeypatch.setattr(type(backend.client), "select_rows", select_rows)
        try:
            backend.introspect(databases)
        finally:
            monkeypatch.undo()
            backend.close()
        return len(seen)

    column = Column(name="id", data_type=Simple("String"))
    code = InfraMap.of("a", tables=[Table(name=f"t{i}", columns=(column,), database=f"db{i}") for i in range(4)])
    assert declared_databases(code, None) == ["db0", "db1", "db2", "db3"]
    assert counted(["a"]) == counted(["a", *declared_databases(code)])
