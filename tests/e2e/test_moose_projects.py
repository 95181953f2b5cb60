"""The Moose-style projects, unchanged, through ``generate migration --save``, ``migrate`` and an empty ``plan`` on
the real ClickHouse (and the tansu broker for their streams), in snapshot and in delta mode.

Every project runs here, dictionaries, SQL resources, table constraints and tables with integration engines
included (what muskox only records — APIs, workflows, web apps — is never applied, by design), except one that
needs a fuller server than the embedded one (``kafka_s3_integrations``: a Kafka and an S3 endpoint); a test checks
that no project declares an object muskox does not apply. The project written for Python 3.12 runs on the Python
3.12 environment that ``scripts/install`` makes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from muskox.cli.main import run
from muskox.declare.collect import collect_project
from muskox.exit_codes import ExitCode
from muskox.model.recorded import RecordedStatus
from muskox.testing.kafka import KafkaBroker
from muskox_clickhouse.local import RunningServer
from tests.moose_projects import PROJECTS, MooseProject, project

ROOT = Path(__file__).parents[2]
PYTHON312 = Path(os.environ.get("MUSKOX_PYTHON312", ROOT / ".venv-py312" / "bin" / "python"))


def declares_unapplied(p: MooseProject) -> bool:
    """True when the project declares an object muskox does not apply yet."""
    import pydantic  # noqa: F401 - the projects declare pydantic models

    infra = collect_project(p.path, default_database=p.db_name)
    return any(r.status is RecordedStatus.NOT_YET for r in infra.recorded.values())


RUNNABLE = [p for p in PROJECTS if p.runs_here and p.needs is None]


def test_every_project_runs_here() -> None:
    """No project declares an object muskox does not apply; only ``kafka_s3_integrations`` needs a fuller server
    and ``sharded_analytics`` a cluster (it runs in tests/cluster)."""
    assert [p.name for p in PROJECTS if p.runs_here and declares_unapplied(p)] == []
    assert [p.name for p in PROJECTS if p.needs is not None] == ["kafka_s3_integrations", "sharded_analytics"]
    assert "dictionaries_and_sql" in {p.name for p in RUNNABLE}
    assert len({p.name for p in RUNNABLE} | {"py312_type_aliases"}) >= 8  # the 3.12 project runs below on 3.12


def sql(server: RunningServer, statement: str) -> str:
    request = urllib.request.Request(f"{server.http_url}/?{urllib.parse.urlencode({'query': statement})}",
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(response.read().decode())


def fresh(server: RunningServer, p: MooseProject, database: str) -> None:
    """Drop what an earlier run of the project left (its primary and additional databases)."""
    for name in (database, *p.additional_databases):
        sql(server, f"DROP DATABASE IF EXISTS `{name}` SYNC")


def copy(p: MooseProject, tmp_path: Path) -> Path:
    destination = tmp_path / p.name
    shutil.copytree(p.path, destination)
    return destination


@pytest.mark.parametrize("deltas", [False, True], ids=["snapshot", "delta"])
@pytest.mark.parametrize("p", RUNNABLE, ids=lambda p: p.name)
def test_project_generates_migrates_and_plans_empty(p: MooseProject, deltas: bool, tmp_path: Path,
                                                   clickhouse_server: RunningServer, kafka_broker: KafkaBroker,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    mode = "delta" if deltas else "snapshot"
    database = f"mp_{p.name}_{mode}"
    fresh(clickhouse_server, p, database)
    directory = copy(p, tmp_path)
    monkeypatch.setenv("MUSKOX_FEATURES__MIGRATE_WITH_DELTAS", "true" if deltas else "false")
    monkeypatch.setenv("MUSKOX_REDPANDA_CONFIG__NAMESPACE", f"{p.name}_{mode}")
    monkeypatch.setenv("LAKE_ACCESS_KEY_ID", "AKIALAKE")  # moose_runtime_env.get(...) in clickstream_lake
    monkeypatch.setenv("LAKE_SECRET_ACCESS_KEY", "lake-secret")

    def muskox(*args: str) -> tuple[int, str]:
        code = run(["--project", str(directory), *args, "--clickhouse-url", f"{clickhouse_server.http_url}/{database}",
                    "--kafka-url", kafka_broker.kafka_url])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, output = muskox("generate", "migration", "--save", "--yes-all")
    assert code == ExitCode.OK, output
    files = sorted((directory / "migrations").iterdir())
    assert files, output
    code, output = muskox("migrate")
    assert code == ExitCode.OK, output
    code, output = muskox("plan", "--exit-code")
    assert code == ExitCode.OK, output
    assert "No changes" in output, output
    for written in (directory / "migrations").rglob("*"):
        if written.is_file():
            assert "lake-secret" not in written.read_text() and "AKIALAKE" not in written.read_text(), written
    for table in collect_project(directory, default_database=database).tables.values():
        if table.life_cycle.value != "EXTERNALLY_MANAGED":
            assert sql(clickhouse_server, f"EXISTS TABLE `{table.database or database}`.`{table.name}`").strip() \
                == "1", table.name


def test_python312_project_on_python312(tmp_path: Path, clickhouse_server: RunningServer) -> None:
    """The project with ``type X = …`` aliases, on muskox running under Python 3.12: snapshot, then delta mode."""
    assert PYTHON312.is_file(), f"no Python 3.12 environment at {PYTHON312}: run scripts/install (needs python3.12)"
    p = project("py312_type_aliases")
    for deltas in (False, True):
        database = f"mp_py312_{'delta' if deltas else 'snapshot'}"
        fresh(clickhouse_server, p, database)
        directory = copy(p, tmp_path / database)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
        env["MUSKOX_FEATURES__MIGRATE_WITH_DELTAS"] = "true" if deltas else "false"
        url = f"{clickhouse_server.http_url}/{database}"

        def muskox(*args: str, env: dict[str, str] = env, directory: Path = directory,
                   url: str = url) -> subprocess.CompletedProcess[str]:
            return subprocess.run([str(PYTHON312), "-m", "muskox", "--project", str(directory), *args,
                                   "--clickhouse-url", url], capture_output=True, text=True, env=env, timeout=300)

        version = subprocess.run([str(PYTHON312), "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, check=True).stdout
        assert version.strip() == "(3, 12)"
        for args in (("generate", "migration", "--save", "--yes-all"), ("migrate",), ("plan", "--exit-code")):
            result = muskox(*args)
            assert result.returncode == ExitCode.OK, (args, result.stdout, result.stderr)
        columns = sql(clickhouse_server, f"SELECT name, type, compression_codec FROM system.columns WHERE "
                                         f"database = '{database}' AND table = 'visits' ORDER BY position")
        assert columns.splitlines() == [
            "user_id\tString\t", "at\tDateTime\tCODEC(DoubleDelta, ZSTD(1))", "pages\tUInt32\t",
            "tags\tArray(String)\t", "country\tLowCardinality(String)\t", "referrer\tNullable(String)\t",
            "payload\tString\t"], columns

