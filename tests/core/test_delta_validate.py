"""``muskox migrate --validate`` (no database): delta files fold from empty and do not conflict; a snapshot plan
reaches its local_infra_map.json from its remote_state.json."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from muskox.cli.main import run
from muskox.exit_codes import ExitCode
from muskox.files import delta as d
from muskox.files.delta import MigrationFile, new_migration, write_migration
from muskox.files.delta_operations import fold_migration
from muskox.files.state_hash import state_hash
from muskox.files.validate import find_conflicts, validate_deltas, validate_snapshot
from muskox.model.infra_map import InfraMap
from muskox.model.operations import BUILTIN_OPERATIONS
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox_clickhouse.dialect import CLICKHOUSE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "moose-cli-0.6.533"
DB = "local"
T0 = dt.datetime(2026, 4, 15, 10, 0, tzinfo=dt.UTC)
EVENTS = Table(name="events", columns=(Column(name="id", data_type=Simple("String")),
                                       Column(name="name", data_type=Simple("String"))), order_by=("id",))
COUNTRY = Column(name="country", data_type=Simple("String"))


def _file(deltas: tuple[d.Delta, ...], parent: str, minutes: int, name: str = "migration") -> MigrationFile:
    return new_migration(deltas, parent, description=name, now=T0 + dt.timedelta(minutes=minutes))


def _base() -> tuple[MigrationFile, str]:
    first = _file((d.CreateTable(table=EVENTS),), state_hash(InfraMap(default_database=DB), CLICKHOUSE), 0,
                  "create events")
    return first, state_hash(fold_migration(InfraMap(default_database=DB), first), CLICKHOUSE)


def _write(directory: Path, *migrations: MigrationFile) -> Path:
    for migration in migrations:
        write_migration(directory, migration, CLICKHOUSE)
    return directory


def test_a_clean_chain_is_valid(tmp_path: Path) -> None:
    first, after_first = _base()
    second = _file((d.AddTableColumn(table_id="local_events", column=COUNTRY, after_column="name"),),
                   after_first, 1, "add country")
    report = validate_deltas(_write(tmp_path, first, second), DB, CLICKHOUSE)
    assert report.ok and not report.warnings, report
    assert report.checked.startswith("2 migration file(s)")


def test_branch_files_that_touch_one_table_conflict(tmp_path: Path) -> None:
    first, after_first = _base()
    adds = _file((d.AddTableColumn(table_id="local_events", column=COUNTRY, after_column="name"),),
                 after_first, 1, "branch a")
    drops = _file((d.DropTable(table=EVENTS),), after_first, 2, "branch b")
    report = validate_deltas(_write(tmp_path, first, adds, drops), DB, CLICKHOUSE)
    assert not report.ok
    (conflict,) = [p for p in report.problems if p.startswith("conflict:")]
    assert adds.file_name in conflict and drops.file_name in conflict
    assert f"{drops.id} drops table local_events while {adds.id} changes it" in conflict


def test_both_changing_a_table_conflicts_and_unrelated_siblings_are_reported_too() -> None:
    first, after_first = _base()
    other = Table(name="other", columns=(Column(name="id", data_type=Simple("String")),))
    one = _file((d.DropTableColumn(table_id="local_events", column_name="name"),), after_first, 1)
    two = _file((d.ModifyTableTtl(table_id="local_events", after="now()"),), after_first, 2)
    three = _file((d.CreateTable(table=other),), after_first, 3)
    conflicts, siblings = find_conflicts([first, one, two, three], DB)
    assert conflicts == [f"conflict: {one.file_name} and {two.file_name} were both generated against state "
                         f"{after_first[:12]}… and both change table local_events"]
    assert len(siblings) == 2 and all(three.file_name in s and "regenerate" in s for s in siblings)


def test_a_file_that_does_not_fold_is_named_with_its_delta(tmp_path: Path) -> None:
    first, after_first = _base()
    broken = _file((d.DropTableColumn(table_id="local_events", column_name="nope"),), after_first, 1)
    report = validate_deltas(_write(tmp_path, first, broken), DB, CLICKHOUSE)
    assert report.problems == (f"fold from an empty database: {broken.file_name}: deltas[0] (DropTableColumn: drop "
                               f"column nope from local_events): column 'nope' does not exist in table 'events'",)


def test_a_parent_hash_that_does_not_follow_is_a_warning(tmp_path: Path) -> None:
    first, _after_first = _base()
    stray = _file((d.AddTableColumn(table_id="local_events", column=COUNTRY),), "0" * 64, 1)
    report = validate_deltas(_write(tmp_path, first, stray), DB, CLICKHOUSE)
    assert report.ok and len(report.warnings) == 1 and stray.file_name in report.warnings[0]


def test_moose_files_fold_error_and_conflict(tmp_path: Path) -> None:
    for path in (FIXTURES / "delta-mode").glob("*.yaml"):
        shutil.copy(path, tmp_path)
    report = validate_deltas(tmp_path, DB, CLICKHOUSE)
    fold_error, conflict = report.problems
    assert "20261123_063616_742_migration.yaml: deltas[0] (CreateTable" in fold_error
    assert "table 'users' already exists" in fold_error
    assert "both create table local_users" in conflict and "both create view big_events" in conflict


def test_moose_snapshot_plans() -> None:
    """Step 1 reaches its target; step 2 does not: moose dropped the rename of the protected users.name."""
    step1 = validate_snapshot(FIXTURES / "snapshot-mode" / "step1", BUILTIN_OPERATIONS, CLICKHOUSE)
    assert step1.ok and step1.checked.startswith("plan.yaml (5 operation(s))")
    step2 = validate_snapshot(FIXTURES / "snapshot-mode" / "step2", BUILTIN_OPERATIONS, CLICKHOUSE)
    assert step2.problems == ("plan.yaml does not reach local_infra_map.json: ~ table users: column full_name added",)
    assert step2.notes == ("not reached, as the lifecycle rules say: Table 'users' is DELETION_PROTECTED - 1 column "
                           "drop(s) blocked: name",)


def test_a_plan_that_does_not_apply_to_its_remote_state(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "snapshot-mode" / "step2", tmp_path, dirs_exist_ok=True)
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan.read_text().replace("column_name: legacy_flag", "column_name: no_such_column"))
    report = validate_snapshot(tmp_path, BUILTIN_OPERATIONS, CLICKHOUSE)
    assert report.problems == ("plan.yaml: operations[0] (DropTableColumn) does not apply to remote_state.json with "
                               "the operations before it: column 'no_such_column' does not exist in table 'events'",)


# -- through the CLI, without any database ---------------------------------------------------------------------


def _project(tmp_path: Path, deltas: bool) -> Path:
    (tmp_path / "muskox.toml").write_text(
        '[clickhouse_config]\nurl = "http://127.0.0.1:9/nowhere"\ndb_name = "local"\n'
        f'[features]\nmigrate_with_deltas = {str(deltas).lower()}\n')
    return tmp_path


def test_cli_validate_delta_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, deltas=True)
    first, after_first = _base()
    _write(project / "migrations", first)
    assert run(["--project", str(project), "migrate", "--validate"]) == ExitCode.OK
    assert capsys.readouterr().out == f"Valid: 1 migration file(s) in {project / 'migrations'}\n"
    _write(project / "migrations", _file((d.DropTable(table=EVENTS),), after_first, 1),
           _file((d.DropTableColumn(table_id="local_events", column_name="name"),), after_first, 2))
    assert run(["--project", str(project), "migrate", "--validate"]) == ExitCode.PLAN_INVALID
    err = capsys.readouterr().err
    assert "validation failed" in err and "conflict:" in err and "Fix: for two conflicting files" in err


@pytest.mark.parametrize(("step", "code"), [("step1", ExitCode.OK), ("step2", ExitCode.PLAN_INVALID)])
def test_cli_validate_snapshot_mode(step: str, code: ExitCode, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, deltas=False)
    shutil.copytree(FIXTURES / "snapshot-mode" / step, project / "migrations")
    assert run(["--project", str(project), "migrate", "--validate"]) == code
    captured = capsys.readouterr()
    if code == ExitCode.OK:
        assert captured.out.startswith("Valid: plan.yaml (5 operation(s))")
    else:
        assert "column full_name added" in captured.err and "DELETION_PROTECTED" in captured.err


def test_cli_mark_applied_is_for_delta_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, deltas=False)
    assert run(["--project", str(project), "migrate", "--mark-applied", "x"]) == ExitCode.USAGE
    assert "delta mode" in capsys.readouterr().err
