"""Hardening on the real servers (issue 15): reads never write, a read-only user can plan, the project's code
cannot end muskox or leave the lock held, and connection failures name the real problem."""

from __future__ import annotations

import json
import socket
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from muskox.config import Config, RedisConfig
from muskox.exit_codes import ExitCode
from muskox.testing.redis import RedisServer
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.quoting import quote_string
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.testing import TlsClickHouse
from muskox_state_redis.store import RedisStateStore
from tests.conftest import CliRunner

MODEL = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]
    v: int


rows = OlapTable[Row]("rows", OlapConfig(order_by_fields=["id"]))
"""


def project(directory: Path, storage: str = "clickhouse", extra: str = "", config: str = "") -> Path:
    (directory / "app").mkdir(parents=True, exist_ok=True)
    (directory / "app" / "main.py").write_text(MODEL + extra)
    (directory / "muskox.toml").write_text(f'[state_config]\nstorage = "{storage}"\n{config}')
    return directory


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sql(clickhouse_server: RunningServer) -> Iterator[object]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as client:
        yield client


def databases(sql: object, name: str) -> int:
    return int(sql.query(f"SELECT count() FROM system.databases WHERE name = {quote_string(name)}")[0][0])  # type: ignore[attr-defined]


# -- item 3: read-only commands create nothing ---------------------------------------------------------------


def test_reads_against_a_missing_database_create_nothing(run_muskox: CliRunner, clickhouse_server: RunningServer,
                                                         tmp_path: Path, sql: object) -> None:
    database = unique("typo")
    url = f"{clickhouse_server.http_url}/{database}"
    project(tmp_path)
    plan = run_muskox("plan", "--clickhouse-url", url)
    assert plan.returncode == ExitCode.OK, plan.stderr
    assert f"no stored state was read: the database `{database}` does not exist" in plan.stderr
    assert run_muskox("generate", "migration", "--yes-all", "--clickhouse-url", url).returncode == ExitCode.OK
    for command in (("lock", "status"), ("lock", "release"), ("lock", "status", "--json")):
        result = run_muskox(*command, "--clickhouse-url", url)
        assert result.returncode == ExitCode.CONFIG, result.stderr
        assert result.stdout == ""
        assert f"the database `{database}` of the state store does not exist" in result.stderr
        assert "nothing was created" in result.stderr and "Fix: " in result.stderr
    assert databases(sql, database) == 0


def test_a_missing_state_table_is_named_and_not_created(run_muskox: CliRunner, clickhouse_server: RunningServer,
                                                        tmp_path: Path, sql: object) -> None:
    database = unique("nostate")
    sql.command(f"CREATE DATABASE {database}")  # type: ignore[attr-defined]
    url = f"{clickhouse_server.http_url}/{database}"
    project(tmp_path)
    result = run_muskox("lock", "status", "--clickhouse-url", url)
    assert result.returncode == ExitCode.CONFIG
    assert f"the table `{database}`.`_MOOSE_STATE` of the state store does not exist" in result.stderr
    assert run_muskox("plan", "--json", "--clickhouse-url", url).returncode == ExitCode.OK
    tables = sql.query(f"SELECT name FROM system.tables WHERE database = '{database}'")  # type: ignore[attr-defined]
    assert tables == []


def _reader_url(tls: TlsClickHouse, database: str) -> str:
    password = urllib.parse.quote(tls.password, safe="")
    return f"http://{tls.readonly_user}:{password}@127.0.0.1:{tls.server.http_port}/{database}"


def test_a_readonly_user_can_plan(run_muskox: CliRunner, clickhouse_tls_server: TlsClickHouse,
                                  tmp_path: Path) -> None:
    """The server's ``reader`` has ``readonly = 1`` (users.d of the test server)."""
    database = unique("ro")
    admin = f"{clickhouse_tls_server.server.http_url}/{database}"
    reader = _reader_url(clickhouse_tls_server, database)
    project(tmp_path)
    # no state table yet: the reader plans from the database and the code, and says what it could not read
    before = run_muskox("plan", "--clickhouse-url", reader)
    assert before.returncode == ExitCode.OK, before.stderr
    assert "+ " in before.stdout and "no stored state was read" in before.stderr
    refused = run_muskox("migrate", "--clickhouse-url", reader)
    assert refused.returncode != ExitCode.OK and "Traceback" not in refused.stderr
    # an administrator migrates; afterwards the reader's plan reads the stored state and finds nothing to do
    assert run_muskox("generate", "migration", "--save", "--yes-all", "--clickhouse-url", admin).returncode == 0
    assert run_muskox("migrate", "--clickhouse-url", admin).returncode == ExitCode.OK
    after = run_muskox("plan", "--exit-code", "--json", "--clickhouse-url", reader)
    assert after.returncode == ExitCode.OK, after.stderr
    json.loads(after.stdout)
    assert "no stored state" not in after.stderr
    status = run_muskox("lock", "status", "--clickhouse-url", reader)
    assert status.returncode == ExitCode.OK and "no migration lock is held" in status.stdout


# -- item 5: the project's code runs isolated ----------------------------------------------------------------


@pytest.mark.parametrize(("code", "shown"), [("import sys\nsys.exit(0)\n", "sys.exit(0)"),
                                             ("import sys\nsys.exit(3)\n", "sys.exit(3)"),
                                             ("import os\nos._exit(0)\n", "os._exit(0)")])
def test_an_exit_in_the_project_stops_migrate_without_holding_the_lock(
        run_muskox: CliRunner, clickhouse_server: RunningServer, tmp_path: Path, code: str, shown: str) -> None:
    url = f"{clickhouse_server.http_url}/{unique('exits')}"
    project(tmp_path)
    assert run_muskox("generate", "migration", "--save", "--yes-all", "--clickhouse-url", url).returncode == 0
    (tmp_path / "app" / "main.py").write_text(MODEL + code)
    line = len((MODEL + code).splitlines())
    for command in (("migrate",), ("plan", "--exit-code"), ("generate", "migration", "--save", "--yes-all")):
        result = run_muskox(*command, "--clickhouse-url", url)
        assert result.returncode == ExitCode.CONFIG, (command, result.stderr)
        assert f"app/main.py:{line}: the project's code called {shown} while muskox imported app.main" \
            in result.stderr
    # the lock was never taken: the table itself does not exist yet (nothing was migrated)
    status = run_muskox("lock", "status", "--clickhouse-url", url)
    assert "no migration lock can be held there" in status.stderr or "no migration lock is held" in status.stdout


def test_what_the_project_prints_keeps_plan_json_valid(run_muskox: CliRunner, clickhouse_server: RunningServer,
                                                       tmp_path: Path) -> None:
    url = f"{clickhouse_server.http_url}/{unique('prints')}"
    extra = ("import argparse, os, sys\nprint('loading models', sys.argv)\nos.system('echo from a child')\n"
             "argparse.ArgumentParser().parse_args()\n")
    project(tmp_path, storage="file", extra=extra)
    result = run_muskox("plan", "--json", "--clickhouse-url", url)
    assert result.returncode == ExitCode.OK, result.stderr
    json.loads(result.stdout)
    assert f"loading models ['{tmp_path / 'app' / 'main.py'}']" in result.stderr
    assert "from a child" in result.stderr


# -- item 7: the real problem is named -----------------------------------------------------------------------


def test_wrong_protocol_for_the_port_is_named(run_muskox: CliRunner, clickhouse_server: RunningServer,
                                              tmp_path: Path) -> None:
    project(tmp_path)
    http_on_native = run_muskox("plan", "--clickhouse-url", f"http://127.0.0.1:{clickhouse_server.tcp_port}/db")
    assert http_on_native.returncode == ExitCode.CONNECTION
    assert "is ClickHouse's native-protocol port, not its HTTP interface" in http_on_native.stderr
    assert "KeeperMap" not in http_on_native.stderr
    native_on_http = run_muskox("plan", "--clickhouse-url",
                                f"clickhouse://127.0.0.1:{clickhouse_server.http_port}/db")
    assert native_on_http.returncode == ExitCode.CONNECTION, native_on_http.stderr
    assert "did not answer in ClickHouse's native protocol (is it the HTTP port?)" in native_on_http.stderr
    assert "Traceback" not in native_on_http.stderr


def test_tls_against_a_plain_redis_is_not_blamed_on_a_stopped_server(run_muskox: CliRunner,
                                                                     redis_server: RedisServer,
                                                                     tmp_path: Path) -> None:
    project(tmp_path, storage="redis")
    result = run_muskox("lock", "status", "--redis-url", f"rediss://{redis_server.host}:{redis_server.port}")
    assert result.returncode == ExitCode.CONNECTION
    assert "accepts connections but the TLS handshake failed" in result.stderr
    assert "start Redis" not in result.stderr


def test_a_lock_left_by_a_dead_process_here_needs_no_force(run_muskox: CliRunner, redis_server: RedisServer,
                                                           clickhouse_server: RunningServer, tmp_path: Path) -> None:
    database = unique("deadlock")
    config = f'[redis_config]\nurl = "{redis_server.url}"\nkey_prefix = "{database}"\n'
    project(tmp_path, storage="redis", config=config)
    url = f"{clickhouse_server.http_url}/{database}"
    assert run_muskox("generate", "migration", "--save", "--yes-all", "--clickhouse-url", url).returncode == 0
    pid = 2 ** 22 + 7  # beyond any pid_max: no such process is running
    redis = Config(redis_config=RedisConfig(url=redis_server.url, key_prefix=database))
    with RedisStateStore.from_config(redis, dialect=CLICKHOUSE) as store:
        store.acquire_lock(f"{socket.gethostname()}:{pid}", ttl=300)
    result = run_muskox("migrate", "--clickhouse-url", url)
    assert result.returncode == ExitCode.LOCK_HELD
    assert "run `muskox lock release` (no --force needed)" in result.stderr
    assert run_muskox("lock", "release").returncode == ExitCode.OK
    assert run_muskox("migrate", "--clickhouse-url", url).returncode == ExitCode.OK

