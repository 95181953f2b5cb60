"""The built-in ``file`` store: where it lives, atomic files, the O_EXCL lock file, and failures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from muskox.config import Config, StateConfig, load_config
from muskox.errors import ConnectionFailed
from muskox.model import InfraMap
from muskox.state import LockHeld, StateError
from muskox.state.file_store import LOCK_FILE, FileStateStore
from muskox_clickhouse.dialect import CLICKHOUSE
from tests.core.test_state_contract import capture_state_warnings


def test_default_directory_is_in_the_project(tmp_path: Path) -> None:
    store = FileStateStore.from_config(Config(), project_dir=tmp_path, dialect=CLICKHOUSE)
    assert store.directory == tmp_path / ".muskox" / "state"
    assert store.where() == f"directory {tmp_path / '.muskox' / 'state'}"


def test_relative_path_resolves_against_the_config_files_directory(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "muskox.toml").write_text('[state_config]\nstorage = "file"\npath = "var/state"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(project, env={})
    assert FileStateStore.from_config(config, dialect=CLICKHOUSE).directory == project / "var" / "state"
    absolute = Config(state_config=StateConfig(path=str(tmp_path / "abs")))
    assert FileStateStore.from_config(absolute, project_dir=project, dialect=CLICKHOUSE).directory == tmp_path / "abs"


def test_tenant_overrides_pick_their_own_directory(tmp_path: Path) -> None:
    (tmp_path / "muskox.toml").write_text(
        '[state_config]\nstorage = "file"\n[tenants.acme.state_config]\npath = ".muskox/acme"\n')
    default = FileStateStore.from_config(load_config(tmp_path, env={}), project_dir=tmp_path, dialect=CLICKHOUSE)
    acme = FileStateStore.from_config(load_config(tmp_path, env={}, tenant="acme"), project_dir=tmp_path,
                                      dialect=CLICKHOUSE)
    assert default.directory != acme.directory
    with default.acquire_lock("a:1"), acme.acquire_lock("b:1"):
        pass


def test_files_are_json_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "state", dialect=CLICKHOUSE)
    store.save_state(InfraMap(default_database="db"))
    store.save_state(InfraMap(default_database="db2"))
    store.record_applied("m1")
    lock = store.acquire_lock("a:1")
    lock.renew()
    names = sorted(p.name for p in (tmp_path / "state").iterdir())
    assert names == [".guard", "applied_migrations.json", "infra_map.json", LOCK_FILE]
    assert json.loads((tmp_path / "state" / "infra_map.json").read_text())["infra_map"]["default_database"] == "db2"
    assert json.loads((tmp_path / "state" / "applied_migrations.json").read_text()) == ["m1"]
    assert json.loads((tmp_path / "state" / LOCK_FILE).read_text())["machine_id"] == "a:1"
    lock.release()
    assert not (tmp_path / "state" / LOCK_FILE).exists()


def test_state_survives_a_new_store_instance(tmp_path: Path) -> None:
    FileStateStore(tmp_path, dialect=CLICKHOUSE).save_state(InfraMap(default_database="kept"))
    loaded = FileStateStore(tmp_path, dialect=CLICKHOUSE).load_state()
    assert loaded is not None and loaded.default_database == "kept"


def test_an_empty_lock_file_left_by_a_crash_is_taken_over(tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / LOCK_FILE).write_text("")
    capture_state_warnings(caplog, monkeypatch)
    store = FileStateStore(tmp_path, dialect=CLICKHOUSE)
    assert store.lock_status() is not None  # reported, as held by an unreadable owner
    store.acquire_lock("a:1").release()
    assert "Deleted unreadable migration lock file" in caplog.text


def test_a_lock_file_created_behind_the_guard_still_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """O_EXCL: a lock file that appears between the check and the create is never overwritten."""
    store = FileStateStore(tmp_path, dialect=CLICKHOUSE)
    real_open = os.open

    def racing_open(path: object, flags: int, *args: object) -> int:
        if str(path).endswith(LOCK_FILE) and flags & os.O_EXCL:
            (tmp_path / LOCK_FILE).write_text(
                '{"machine_id":"sneaky:1","started_at":"2026-01-01T00:00:00Z","expires_at":"2999-01-01T00:00:00Z"}')
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", racing_open)
    with pytest.raises(LockHeld, match="on machine sneaky:1"):
        store.acquire_lock("a:1")


def test_a_corrupt_state_file_is_a_state_error(tmp_path: Path) -> None:
    (tmp_path / "infra_map.json").write_text("{")
    with pytest.raises(StateError, match=r"infra_map\.json cannot be read: it is not JSON"):
        FileStateStore(tmp_path, dialect=CLICKHOUSE).load_state()


def test_an_unusable_directory_is_connection_failed(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a directory cannot be created below a file (not even by root)
    store = FileStateStore(blocker / "state", dialect=CLICKHOUSE)
    with pytest.raises(ConnectionFailed, match="cannot create the state directory") as info:
        store.ping()
    assert "[state_config] path" in str(info.value)
    with pytest.raises(ConnectionFailed, match="cannot save the state"):
        store.save_state(InfraMap(default_database="x"))
    with pytest.raises(ConnectionFailed, match="cannot take the migration lock"):
        store.acquire_lock("a:1")
    with pytest.raises(ConnectionFailed, match="cannot read the stored state"):
        store.load_state()
