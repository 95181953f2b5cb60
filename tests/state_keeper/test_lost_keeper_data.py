"""The embedded server forgets KeeperMap rows at a restart (issue 15): the ``clickhouse`` store reads its table as
empty, the first write recreates it, and the state is re-established from the database; on another server the
store stops with the statement to run. On a real embedded server the test stops and starts itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from muskox.config import ClickHouseConfig, Config
from muskox.exit_codes import ExitCode
from muskox.state.errors import StateError
from muskox.testing.processes import free_port
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import LocalClickHouse
from muskox_state_keeper import KeeperStateStore
from muskox_state_keeper import store as store_module
from tests.conftest import CliRunner

MODEL = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]
    v: int


rows = OlapTable[Row]("rows", OlapConfig(order_by_fields=["id"]))
"""
DATABASE = "restarted"
LOST = "were lost: the embedded ClickHouse keeps KeeperMap data in memory"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalClickHouse]:
    """An embedded server of the test's own (a data directory that survives its restarts)."""
    http_port = free_port()
    tcp_port = free_port()
    while tcp_port == http_port:
        tcp_port = free_port()
    launcher = LocalClickHouse(tmp_path / "clickhouse", http_port, tcp_port)
    launcher.start()
    try:
        yield launcher
    finally:
        launcher.stop()


def url(server: LocalClickHouse) -> str:
    running = server.status().server
    assert running is not None
    return f"{running.http_url}/{DATABASE}"


def make_project(directory: Path, server: LocalClickHouse) -> Path:
    (directory / "app").mkdir(parents=True)
    (directory / "app" / "main.py").write_text(MODEL)
    (directory / "muskox.toml").write_text(f'[clickhouse_config]\nurl = "{url(server)}"\ndb_name = "{DATABASE}"\n'
                                           '[state_config]\nstorage = "clickhouse"\n')
    return directory


def restart(server: LocalClickHouse) -> None:
    server.stop()
    server.start()


def state_rows(server: LocalClickHouse) -> int:
    with connect(parse_url(url(server))) as client:
        rows = client.query(f"SELECT count() FROM {DATABASE}._MOOSE_STATE "
                            "WHERE startsWith(key, 'muskox_infra_map_')")
    return int(rows[0][0])


def test_after_a_restart_the_state_table_is_recreated_and_the_state_re_established(
        run_muskox: CliRunner, server: LocalClickHouse, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", server)
    assert run_muskox("generate", "migration", "--save", "--yes-all", cwd=project).returncode == ExitCode.OK
    migrate = run_muskox("migrate", cwd=project)
    assert migrate.returncode == ExitCode.OK, migrate.stderr
    assert state_rows(server) == 1

    restart(server)  # the table's metadata survives, its Keeper rows do not

    # reads write nothing: the table reads as empty, the database is adopted, one warning says what happened
    for command in (("plan", "--exit-code"), ("lock", "status")):
        result = run_muskox(*command, cwd=project)
        assert result.returncode == ExitCode.OK, result.stderr
        assert result.stderr.count(LOST) == 1, result.stderr
        assert "Traceback" not in result.stderr and "668" in result.stderr
    plan = run_muskox("plan", "--exit-code", cwd=project)
    assert "the state is re-established from the database" in plan.stderr

    # the first write recreates the table, empty, and stores the state reconciled from the database
    assert run_muskox("generate", "migration", "--save", "--yes-all", cwd=project).returncode == ExitCode.OK
    migrate = run_muskox("migrate", cwd=project)
    assert migrate.returncode == ExitCode.OK, migrate.stderr
    assert migrate.stderr.count(LOST) == 1, migrate.stderr
    assert state_rows(server) == 1
    after = run_muskox("plan", "--exit-code", cwd=project)
    assert after.returncode == ExitCode.OK, after.stderr
    assert LOST not in after.stderr


def test_lock_taken_after_a_restart_repairs_the_table(server: LocalClickHouse) -> None:
    config = Config(clickhouse_config=ClickHouseConfig(url=url(server)))
    with KeeperStateStore.from_config(config, dialect=CLICKHOUSE) as store:
        store.record_applied("20260101_000000_000_first")
        store.append_history('{"entry": 1}')
    restart(server)
    with KeeperStateStore.from_config(config, dialect=CLICKHOUSE) as store:
        store.append_history('{"entry": 2}')  # a write first: repaired, then written
        assert store.history() == ['{"entry": 2}']
        assert store.applied_migrations() == []
        with store.acquire_lock("tester"):
            assert store.lock_status() is not None
        assert store.lock_status() is None


def test_elsewhere_the_store_stops_with_the_statement_to_run(server: LocalClickHouse,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(clickhouse_config=ClickHouseConfig(url=url(server)))
    with KeeperStateStore.from_config(config, dialect=CLICKHOUSE) as store:
        store.record_applied("20260101_000000_000_first")
    restart(server)
    monkeypatch.setattr(store_module, "is_embedded", lambda name: False)  # as if a production server lost Keeper
    with KeeperStateStore.from_config(config, dialect=CLICKHOUSE) as store:
        with pytest.raises(StateError) as info:
            store.applied_migrations()
        with pytest.raises(StateError):
            store.acquire_lock("tester")
    message = info.value.one_line()
    assert "\n" not in message
    assert f"run `DROP TABLE `{DATABASE}`.`_MOOSE_STATE` SYNC` on the server, then `muskox migrate`" in message
    assert info.value.exit_code == ExitCode.STATE_INVALID
    with connect(parse_url(url(server))) as client:  # nothing was dropped
        assert client.query(f"SELECT count() FROM system.tables WHERE database = '{DATABASE}' "
                            "AND name = '_MOOSE_STATE'") == [(1,)]
