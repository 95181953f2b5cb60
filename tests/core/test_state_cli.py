"""``muskox lock status`` and ``muskox lock release [--force]`` on the built-in ``file`` store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from muskox.cli.main import run
from muskox.exit_codes import ExitCode
from muskox.state import LockInfo
from muskox.state.file_store import LOCK_FILE, FileStateStore
from muskox.state.lock_info import encode_record, utc_now
from muskox_clickhouse.dialect import CLICKHOUSE
from tests.conftest import CliRunner


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "muskox.toml").write_text(
        '[state_config]\nstorage = "file"\n\n[tenants.acme.state_config]\npath = ".muskox/acme"\n')
    return project


def store_of(project: Path, tenant: str | None = None) -> FileStateStore:
    return FileStateStore(project / ".muskox" / (tenant or "state"), dialect=CLICKHOUSE)


def lock_cli(project: Path, *args: str) -> int:
    return run(["--project", str(project), "lock", *args])


def write_lock(store: FileStateStore, owner: str, *, started_ago: float = 10, expires_in: float = 200) -> LockInfo:
    now = utc_now()
    info = LockInfo(owner=owner, started_at=now - timedelta(seconds=started_ago),
                    expires_at=now + timedelta(seconds=expires_in))
    store.directory.mkdir(parents=True, exist_ok=True)
    (store.directory / LOCK_FILE).write_text(encode_record(info))
    return info


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_status_without_a_lock(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lock_cli(project, "status") == ExitCode.OK
    assert capsys.readouterr().out.strip() == f"no migration lock is held (directory {project}/.muskox/state)"
    assert lock_cli(project, "status", "--json") == ExitCode.OK
    assert json.loads(capsys.readouterr().out) == {
        "held": False, "lock": None, "store": f"directory {project}/.muskox/state"}


def test_status_names_holder_start_and_expiry(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_lock(store_of(project), "build-7:4242", started_ago=30, expires_in=252.5)
    assert lock_cli(project, "status") == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith("migration lock held by machine build-7:4242 (since ")
    assert " UTC, expires in 4m 1" in out
    assert lock_cli(project, "status", "--json") == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["held"] is True
    assert data["lock"]["machine_id"] == "build-7:4242"
    assert data["lock"]["stale"] is False
    assert data["lock"]["this_machine"] is None
    assert 240 < data["lock"]["expires_in_seconds"] <= 252.5
    assert data["lock"]["started_at"].endswith("Z")


def test_release_refuses_a_live_lock_of_another_machine_and_force_deletes_it(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_lock(store_of(project), "other-host:17")
    assert lock_cli(project, "release") == ExitCode.LOCK_HELD
    err = capsys.readouterr().err
    assert "Migration already in progress on machine other-host:17 (since " in err
    assert "muskox lock release --force" in err
    assert store_of(project).lock_status() is not None
    assert lock_cli(project, "release", "--force") == ExitCode.OK
    assert capsys.readouterr().out.startswith("released the migration lock of machine other-host:17 (since ")
    assert store_of(project).lock_status() is None
    assert lock_cli(project, "release", "--force") == ExitCode.OK
    assert capsys.readouterr().out.strip() == "no migration lock is held; nothing was released"


def test_release_clears_a_stale_lock_without_force(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_lock(store_of(project), "gone-host:3", started_ago=400, expires_in=-100)
    assert lock_cli(project, "status") == ExitCode.OK
    assert "expired 1m 40s ago" in capsys.readouterr().out
    assert lock_cli(project, "release", "--json") == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["released"] is True
    assert data["reason"] == "it was stale"
    assert data["lock"]["machine_id"] == "gone-host:3"
    assert store_of(project).lock_status() is None


def test_release_clears_the_lock_of_a_dead_process_on_this_machine(project: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    owner = f"{socket.gethostname()}:{dead_pid()}"
    write_lock(store_of(project), owner)
    assert lock_cli(project, "status", "--json") == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["lock"]["this_machine"] == "dead"
    assert lock_cli(project, "release") == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith(f"released the migration lock of machine {owner}")
    assert "its process on this machine is no longer running" in out


def test_release_refuses_the_lock_of_a_running_process_on_this_machine(project: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    write_lock(store_of(project), f"{socket.gethostname()}:{os.getpid()}")
    assert lock_cli(project, "release") == ExitCode.LOCK_HELD
    assert f"its process (pid {os.getpid()}) on this machine is still running" in capsys.readouterr().err
    assert store_of(project).lock_status() is not None


def test_tenant_sees_only_its_own_lock(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_lock(store_of(project, "acme"), "acme-runner:1")
    assert run(["--project", str(project), "--tenant", "acme", "lock", "status", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["lock"]["machine_id"] == "acme-runner:1"
    assert lock_cli(project, "status", "--json") == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["held"] is False


def test_unknown_store_lists_the_installed_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "muskox.toml").write_text('[state_config]\nstorage = "etcd"\n')
    assert lock_cli(tmp_path, "status") == ExitCode.PLUGIN
    err = capsys.readouterr().err
    assert "no state store named 'etcd' is installed" in err
    assert "file" in err


def test_lock_status_as_a_real_process(project: Path, run_muskox: CliRunner) -> None:
    write_lock(store_of(project), "proc-host:9")
    result = run_muskox("--project", str(project), "lock", "status", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["lock"]["machine_id"] == "proc-host:9"
    result = run_muskox("--project", str(project), "lock", "release")
    assert result.returncode == ExitCode.LOCK_HELD
    assert result.stderr.startswith("muskox: error: Migration already in progress on machine proc-host:9")
