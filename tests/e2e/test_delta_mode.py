"""Delta mode end to end (spec 3): ``generate migration --save`` writes one file per run, ``migrate`` applies
the unapplied ones exactly once, checking each file's parent hash, and ``migrate --validate`` finds conflicts.

The CLI runs in-process against the real ClickHouse, with the KeeperMap (``clickhouse``) or the ``file`` store.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from muskox.apply.drift import same_state
from muskox.apply.plan_record import migration_ids
from muskox.cli.main import run
from muskox.config import load_config
from muskox.declare.collect import collect_project
from muskox.exit_codes import ExitCode
from muskox.files.delta import load_migrations
from muskox.plan.reconcile import reconcile
from muskox.plugin.manager import Plugins
from muskox_clickhouse import ClickHouseBackend
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer

HEADER = """\
from datetime import datetime
from typing import Optional

from pydantic import BaseModel

from muskox import Key, OlapConfig, OlapTable, View, ViewConfig
"""

V1 = HEADER + """
class Event(BaseModel):
    id: Key[str]
    ts: datetime
    name: str

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
"""

V2 = HEADER + """
class Event(BaseModel):
    id: Key[str]
    ts: datetime
    name: str
    country: str

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"], ttl="ts + INTERVAL 30 DAY"))
recent = View("recent_events", ViewConfig(select_statement="SELECT id, country FROM events WHERE ts > now() - "
                                                           "INTERVAL 1 DAY", base_tables=[events]))
"""

V3_BRANCH_A = HEADER + """
class Event(BaseModel):
    id: Key[str]
    ts: datetime
    name: str
    referrer: Optional[str] = None

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
"""

V3_BRANCH_B = HEADER + """
class Event(BaseModel):
    id: Key[str]
    ts: datetime

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
"""


@pytest.fixture
def project(tmp_path: Path, request: pytest.FixtureRequest, clickhouse_server: RunningServer) -> Path:
    database = "delta_" + re.sub(r"\W", "_", request.node.name)[:40]
    storage = "file" if "file_store" in request.node.name else "clickhouse"
    root = tmp_path / "project"
    root.mkdir()
    (root / "muskox.toml").write_text(
        f'[clickhouse_config]\nurl = "{clickhouse_server.http_url}/{database}"\ndb_name = "{database}"\n'
        f'[state_config]\nstorage = "{storage}"\n[features]\nmigrate_with_deltas = true\n')
    return root


def write_code(project: Path, body: str) -> None:
    app = project / "app"
    app.mkdir(exist_ok=True)
    (app / "main.py").write_text(body)


def cli(project: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(["--project", str(project), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def generate(project: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    code, out, err = cli(project, "generate", "migration", "--save", "--yes-all", *flags, capsys=capsys)
    assert code == ExitCode.OK, err
    return out


def files(project: Path) -> list[Path]:
    return sorted((project / "migrations").glob("2*.yaml"))


def applied(project: Path) -> list[str]:
    config = load_config(project)
    with Plugins.load().state_store(config.state_config.storage).from_config(
            config, dialect=CLICKHOUSE, project_dir=project) as store:
        return migration_ids(store.applied_migrations())  # without the files' checksum records


def database_matches_code(project: Path) -> bool:
    config = load_config(project)
    database = config.clickhouse_config.db_name
    target = collect_project(project, default_database=database)
    with ClickHouseBackend.from_config(config) as backend:
        return same_state(reconcile(None, backend.introspect(), target), target, CLICKHOUSE)


def sql(server: RunningServer, statement: str) -> None:
    request = urllib.request.Request(server.http_url, data=statement.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def test_two_files_applied_in_one_migrate_and_recorded(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_code(project, V1)
    assert "wrote migrations/" in generate(project, capsys)
    write_code(project, V2)
    code, out, err = cli(project, "generate", "migration", "--yes-all", capsys=capsys)  # no --save: a summary
    assert code == ExitCode.OK, err
    assert re.search(r"^\s+2\. AddTableColumn: add column country", out, re.M), out
    assert "CreateView" in out and len(files(project)) == 1
    generate(project, capsys, "--description", "Add country & recent view")
    first, second = load_migrations(project / "migrations", CLICKHOUSE)
    assert second.id.endswith("_add_country_recent_view") and second.id > first.id
    assert [d.TYPE for d in first.deltas] == ["CreateTable"]
    assert first.parent_state_hash != second.parent_state_hash  # the second starts after the first

    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.OK, err
    assert f"Recorded {first.id}" in err and f"Recorded {second.id}" in err
    assert applied(project) == [first.id, second.id]
    assert database_matches_code(project)

    code, _out, err = cli(project, "migrate", capsys=capsys)  # applied exactly once
    assert code == ExitCode.OK, err
    assert "No migration files to apply" in err
    assert applied(project) == [first.id, second.id]
    code, out, err = cli(project, "generate", "migration", "--save", capsys=capsys)
    assert code == ExitCode.OK, err
    assert "No changes." in out and len(files(project)) == 2
    code, out, err = cli(project, "plan", "--exit-code", capsys=capsys)
    assert code == ExitCode.OK, out + err


def test_file_store_files_generated_together_apply_in_separate_deploys(
        project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The second file's parent hash was computed from the code's declarations; it must still match once the
    first file is applied and the state is read back from the server."""
    write_code(project, V1)
    generate(project, capsys)
    write_code(project, V2)
    generate(project, capsys)
    later = files(project)[1]
    parked = tmp_path / later.name
    later.rename(parked)
    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.OK, err
    parked.rename(later)
    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.OK, err
    assert applied(project) == [p.stem for p in files(project)]
    assert database_matches_code(project)


def test_out_of_band_alter_stops_migrate_with_drift(project: Path, capsys: pytest.CaptureFixture[str],
                                                    clickhouse_server: RunningServer) -> None:
    write_code(project, V1)
    generate(project, capsys)
    assert cli(project, "migrate", capsys=capsys)[0] == ExitCode.OK
    write_code(project, V2)
    generate(project, capsys)
    database = load_config(project).clickhouse_config.db_name
    sql(clickhouse_server, f"ALTER TABLE `{database}`.`events` ADD COLUMN drift_column String")

    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.DRIFT, err
    second = files(project)[1].stem
    assert f"Migration '{second}' cannot be applied" in err
    assert "Tables:" in err and "~ table events" in err and "drift_column" in err
    assert "generate migration" in err
    assert applied(project) == [files(project)[0].stem]


def test_failing_delta_leaves_the_file_unrecorded(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_code(project, V1)
    generate(project, capsys)
    (path,) = files(project)
    text = path.read_text()
    broken = "- type: RawSql\n  sql:\n  - SELECT * FROM no_such_table_anywhere\n  description: broken backfill\n"
    path.write_text(text.replace("created_at:", broken + "created_at:"))

    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.APPLY_FAILED, err
    assert "✓ [1/2] CreateTable" in err
    assert "✗ [2/2] RawSql" in err
    assert "NOT recorded" in err and f"--mark-applied {path.stem}" in err
    assert applied(project) == []

    code, _out, err = cli(project, "migrate", "--mark-applied", path.stem, capsys=capsys)
    assert code == ExitCode.OK, err
    assert applied(project) == [path.stem]
    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.OK and "No migration files to apply" in err


def test_validate_finds_a_conflict_between_branch_files(project: Path, capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    write_code(project, V1)
    generate(project, capsys)
    assert cli(project, "migrate", capsys=capsys)[0] == ExitCode.OK
    code, out, err = cli(project, "migrate", "--validate", capsys=capsys)
    assert code == ExitCode.OK, err
    assert out.startswith("Valid: 1 migration file(s)")

    write_code(project, V3_BRANCH_A)  # branch A adds a column …
    generate(project, capsys)
    branch_a = files(project)[-1]
    parked = tmp_path / branch_a.name
    branch_a.rename(parked)
    write_code(project, V3_BRANCH_B)  # … branch B, from the same state, drops one
    generate(project, capsys)
    parked.rename(branch_a)  # both branches merged

    code, _out, err = cli(project, "migrate", "--validate", capsys=capsys)
    assert code == ExitCode.PLAN_INVALID, err
    names = [p.name for p in files(project)[1:]]
    assert "conflict:" in err and all(name in err for name in names), err
    database = load_config(project).clickhouse_config.db_name
    assert f"table {database}_events" in err


@pytest.mark.parametrize("form, expected", [("clickhouse/0", ExitCode.PLAN_INVALID), ("clickhouse/1", ExitCode.DRIFT)],
                         ids=["older", "same"])
def test_hash_form(project: Path, capsys: pytest.CaptureFixture[str], form: str, expected: ExitCode) -> None:
    """A file hashed in another canonical form than this muskox's is out of date (exit 7), not drift (exit 8)."""
    write_code(project, V1)
    generate(project, capsys)
    assert cli(project, "migrate", capsys=capsys)[0] == ExitCode.OK
    write_code(project, V2)
    generate(project, capsys)
    second = files(project)[1]
    text = second.read_text()
    assert text.startswith("# muskox canonical form: clickhouse/1\n")
    # as if a muskox whose normalization differed had hashed the state: another form, another hash
    second.write_text(text.replace("clickhouse/1", form, 1).replace("parent_state_hash: ", "parent_state_hash: 0", 1))
    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == expected, err
    if expected == ExitCode.PLAN_INVALID:
        assert f"{second.name} was hashed in canonical form {form}, this muskox computes clickhouse/1" in err
        assert "generate migration --save" in err
    assert applied(project) == [files(project)[0].stem]
