"""Delta files are checksummed when applied (issue 15): an applied file edited afterwards stops ``migrate`` with
exit 7 naming it, ``migrate --validate`` blames it rather than the files after it, and ``--mark-applied`` accepts
a deliberate edit. Real ClickHouse; the KeeperMap and the file stores."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from muskox.apply.delta_checksums import PREFIX, file_checksum
from muskox.apply.plan_record import migration_ids
from muskox.config import load_config
from muskox.exit_codes import ExitCode
from muskox.plugin.manager import Plugins
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_delta_mode import V1, V2, cli, files, generate, write_code


@pytest.fixture(params=["clickhouse", "file"])
def project(tmp_path: Path, request: pytest.FixtureRequest, clickhouse_server: RunningServer) -> Path:
    database = f"sums_{request.param}_{uuid.uuid4().hex[:8]}"
    root = tmp_path / "project"
    root.mkdir()
    (root / "muskox.toml").write_text(
        f'[clickhouse_config]\nurl = "{clickhouse_server.http_url}/{database}"\ndb_name = "{database}"\n'
        f'[state_config]\nstorage = "{request.param}"\n[features]\nmigrate_with_deltas = true\n')
    return root


def records(project: Path) -> list[str]:
    config = load_config(project)
    with Plugins.load().state_store(config.state_config.storage).from_config(
            config, dialect=CLICKHOUSE, project_dir=project) as store:
        return store.applied_migrations()


def test_an_applied_file_edited_afterwards_is_reported_by_name(project: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_code(project, V1)
    generate(project, capsys)
    write_code(project, V2)
    generate(project, capsys)
    first, second = files(project)
    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.OK, err
    applied = records(project)
    assert migration_ids(applied) == [first.stem, second.stem]
    assert f"{PREFIX}{first.stem}:{file_checksum(first)}" in applied
    assert f"{PREFIX}{second.stem}:{file_checksum(second)}" in applied

    # the checksum records are no migration ids anywhere ids are listed: generate sees both files applied
    code, out, err = cli(project, "generate", "migration", "--save", "--yes-all", capsys=capsys)
    assert code == ExitCode.OK and "No changes." in out, err
    assert "not applied yet" not in err

    first.write_text(first.read_text().replace("name: name", "name: title"))  # edited after it was applied
    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.PLAN_INVALID, err
    assert f"{first.name}: edited after it was applied" in err
    assert second.name not in err
    assert "nothing was executed" in err and "--mark-applied" in err

    # --validate blames the edited file, not the one generated after it
    code, _out, err = cli(project, "migrate", "--validate", capsys=capsys)
    assert f"{first.name}: the state it leaves is not the one {second.name} was generated against" in err
    assert f"{first.name} was probably edited after {second.name} was generated" in err

    # a deliberate edit is accepted by marking the file applied again; migrate then passes
    code, out, err = cli(project, "migrate", "--mark-applied", first.stem, capsys=capsys)
    assert code == ExitCode.OK, err
    assert "is now the applied one" in out + err
    code, _out, err = cli(project, "migrate", capsys=capsys)
    assert code == ExitCode.OK and "No migration files to apply" in err, err
