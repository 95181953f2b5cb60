"""``muskox lock status|release`` against the ``redis`` store (``--redis-url``; tenants pick key prefixes)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from muskox.cli.main import run
from muskox.config import Config, RedisConfig
from muskox.exit_codes import ExitCode
from muskox.testing.redis import RedisServer
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_state_redis import RedisStateStore


def test_status_and_release_through_the_cli_per_tenant(redis_server: RedisServer, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    prefix = f"cli{uuid.uuid4().hex[:8]}"
    unreachable = "redis://user:S3cret@127.0.0.1:1"  # the --redis-url flag wins over the file's URL
    (tmp_path / "muskox.toml").write_text(
        f'[state_config]\nstorage = "redis"\n[redis_config]\nkey_prefix = "{prefix}"\nurl = "{unreachable}"\n'
        f'[tenants.acme.redis_config]\nkey_prefix = "{prefix}_acme"\n')
    config = Config(redis_config=RedisConfig(url=redis_server.url, key_prefix=f"{prefix}_acme"))
    with RedisStateStore.from_config(config, dialect=CLICKHOUSE) as store:
        store.acquire_lock("acme-ci:5", ttl=300)
        base = ["--project", str(tmp_path), "lock"]
        assert run([*base, "status", "--redis-url", redis_server.url, "--json"]) == ExitCode.OK
        assert json.loads(capsys.readouterr().out)["held"] is False  # the default tenant's prefix
        tenant = ["--project", str(tmp_path), "--tenant", "acme", "lock"]
        assert run([*tenant, "status", "--redis-url", redis_server.url]) == ExitCode.OK
        out = capsys.readouterr().out
        assert out.startswith("migration lock held by machine acme-ci:5 (since ")
        assert f"keys {prefix}_acme::" in out
        assert run([*tenant, "release", "--redis-url", redis_server.url]) == ExitCode.LOCK_HELD
        capsys.readouterr()
        assert run([*tenant, "release", "--force", "--redis-url", redis_server.url]) == ExitCode.OK
        assert store.lock_status() is None
        assert run([*tenant, "status"]) == ExitCode.CONNECTION  # the file's URL, unreachable
        captured = capsys.readouterr()
        assert "S3cret" not in captured.err + captured.out
