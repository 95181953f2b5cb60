"""``muskox lock status|release`` against the ``clickhouse`` store (``--clickhouse-url``, no config file)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from muskox.cli.main import run
from muskox.config import ClickHouseConfig, Config
from muskox.exit_codes import ExitCode
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from muskox_state_keeper import KeeperStateStore


def test_status_and_release_through_the_cli(clickhouse_server: RunningServer, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = f"{clickhouse_server.http_url}/cli_{uuid.uuid4().hex[:8]}"
    cli = ["--project", str(tmp_path), "lock"]
    with KeeperStateStore.from_config(Config(clickhouse_config=ClickHouseConfig(url=url)), dialect=CLICKHOUSE) as store:
        lock = store.acquire_lock("deploy-box:31", ttl=300)
        assert run([*cli, "status", "--clickhouse-url", url, "--json"]) == ExitCode.OK
        data = json.loads(capsys.readouterr().out)
        assert data["lock"]["machine_id"] == "deploy-box:31"
        assert data["store"].startswith("KeeperMap table `cli_")
        assert run([*cli, "release", "--clickhouse-url", url]) == ExitCode.LOCK_HELD
        assert "on machine deploy-box:31 (since " in capsys.readouterr().err
        assert run([*cli, "release", "--force", "--clickhouse-url", url]) == ExitCode.OK
        assert "released the migration lock of machine deploy-box:31" in capsys.readouterr().out
        assert store.lock_status() is None
        assert lock.release() is False
