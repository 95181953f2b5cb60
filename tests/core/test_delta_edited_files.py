"""An applied delta file edited afterwards (issue 15): ``migrate --validate`` blames the edited file rather than the
files after it, and the applied list's checksum records are told apart from migration ids (no database here; the
real-server test is tests/e2e/test_delta_checksums.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from muskox.apply.delta_checksums import (
    check_unedited,
    checksum_record,
    current_checksums,
    edited_files,
    file_checksum,
    recorded_checksums,
)
from muskox.apply.plan_record import migration_ids
from muskox.errors import PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.files import delta as d
from muskox.files.delta import MigrationFile, new_migration, write_migration
from muskox.files.delta_operations import fold_migration
from muskox.files.state_hash import state_hash
from muskox.files.validate import validate_deltas
from muskox.model.infra_map import InfraMap
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox_clickhouse.dialect import CLICKHOUSE

DB = "local"
T0 = dt.datetime(2026, 4, 15, 10, 0, tzinfo=dt.UTC)
EVENTS = Table(name="events", columns=(Column(name="id", data_type=Simple("String")),), order_by=("id",))
COUNTRY = Column(name="country", data_type=Simple("String"))


def _file(deltas: tuple[d.Delta, ...], parent: str, minutes: int) -> MigrationFile:
    return new_migration(deltas, parent, description=f"step {minutes}", now=T0 + dt.timedelta(minutes=minutes))


def _chain(directory: Path) -> list[MigrationFile]:
    """Three files: create events, add country, drop country."""
    empty = InfraMap(default_database=DB)
    first = _file((d.CreateTable(table=EVENTS),), state_hash(empty, CLICKHOUSE), 0)
    after_first = fold_migration(empty, first)
    second = _file((d.AddTableColumn(table_id="local_events", column=COUNTRY, after_column="id"),),
                   state_hash(after_first, CLICKHOUSE), 1)
    third = _file((d.DropTableColumn(table_id="local_events", column_name="country"),),
                  state_hash(fold_migration(after_first, second), CLICKHOUSE), 2)
    for migration in (first, second, third):
        write_migration(directory, migration, CLICKHOUSE)
    assert validate_deltas(directory, DB, CLICKHOUSE).ok
    return [first, second, third]


def _edit(directory: Path, migration: MigrationFile, old: str, new: str) -> None:
    path = directory / migration.file_name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_edit_that_breaks_the_fold_blames_the_edited_file(tmp_path: Path) -> None:
    _first, second, third = _chain(tmp_path)
    _edit(tmp_path, second, "name: country", "name: region")  # the third file drops a column no longer added
    report = validate_deltas(tmp_path, DB, CLICKHOUSE)
    (problem,) = report.problems
    assert problem.startswith(f"{second.file_name} was probably edited after the files that follow it were "
                              f"generated (it leaves another state than {third.file_name} was generated against)")
    assert "column 'country' does not exist" in problem
    (warning,) = report.warnings
    assert warning.startswith(f"{second.file_name}: the state it leaves is not the one {third.file_name} was "
                              "generated against")


def test_an_edit_that_still_folds_is_a_warning_naming_the_edited_file(tmp_path: Path) -> None:
    first, second, third = _chain(tmp_path)
    _edit(tmp_path, first, "name: id", "name: id\n      comment: edited")  # a column comment added afterwards
    report = validate_deltas(tmp_path, DB, CLICKHOUSE)
    assert report.ok, report
    (warning,) = report.warnings
    assert warning.startswith(f"{first.file_name}: the state it leaves is not the one {second.file_name}")
    assert f"`muskox migrate` will stop at {second.id}" in warning
    assert third.file_name not in warning


def test_checksum_records_are_not_migration_ids(tmp_path: Path) -> None:
    first, second, _third = _chain(tmp_path)
    sums = current_checksums(tmp_path, [first.id, second.id, "20990101_000000_000_gone"])
    assert set(sums) == {first.id, second.id}
    applied = [checksum_record(first.id, sums[first.id]), first.id, "plan:0123456789abcdef@started",
               checksum_record(second.id, "0" * 64), checksum_record(second.id, sums[second.id]), second.id]
    assert migration_ids(applied) == [first.id, second.id]
    assert recorded_checksums(applied) == {first.id: sums[first.id], second.id: sums[second.id]}  # the last wins
    assert edited_files(applied, sums) == []
    # line endings converted by a checkout are not an edit
    path = tmp_path / first.file_name
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert file_checksum(path) == sums[first.id]


def test_an_edited_applied_file_is_named(tmp_path: Path) -> None:
    first, second, third = _chain(tmp_path)
    ids = [first.id, second.id, third.id]
    applied = [record for m in (first, second) for record in
               (checksum_record(m.id, current_checksums(tmp_path, [m.id])[m.id]), m.id)]
    _edit(tmp_path, first, "description: step 0", "description: step zero")
    _edit(tmp_path, third, "description: step 2", "description: step two")  # not applied: not checked
    try:
        check_unedited(tmp_path, applied, current_checksums(tmp_path, ids))
    except PlanInvalid as exc:
        assert exc.exit_code == ExitCode.PLAN_INVALID
        assert exc.problems == [f"{first.file_name}: edited after it was applied (sha256 "
                                f"{recorded_checksums(applied)[first.id][:12]}… when applied, "
                                f"{file_checksum(tmp_path / first.file_name)[:12]}… now)"]
        assert "--mark-applied" in (exc.fix or "")
    else:
        raise AssertionError("the edited file was not reported")
