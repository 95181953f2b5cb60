"""The main workflow through the real CLI over each protocol: ``muskox generate migration --save``, ``muskox
migrate``, then ``muskox plan`` finds nothing to do.

- ``clickhouse://`` (native protocol, asynch) against the session's ``clickhouse_server``;
- ``https://`` with a password user and a CA file (and with a client certificate where the server requires one)
  against the TLS test server, never showing the password;
- ``http://``: every statement of a run reaches the server through clickhouse-connect (``system.query_log``).
"""

from __future__ import annotations

import subprocess
import urllib.parse
import uuid
from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.testing import TlsClickHouse, shared_tls_clickhouse
from tests.conftest import CliRunner

MODEL = """
from datetime import datetime
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Event(BaseModel):
    id: Key[str]
    at: datetime
    amount: int


class Visit(BaseModel):
    id: Key[str]
    page: str


events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
visits = OlapTable[Visit]("visits", OlapConfig(order_by_fields=["id"]))
"""


@pytest.fixture(scope="session")
def tls_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TlsClickHouse:
    return shared_tls_clickhouse(request, tmp_path_factory)


def write_project(project: Path, database: str) -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(MODEL)
    (project / "muskox.toml").write_text(
        f'[clickhouse_config]\ndb_name = "{database}"\n[state_config]\nstorage = "clickhouse"\n')


def workflow(run_muskox: CliRunner, project: Path, url: str) -> list[subprocess.CompletedProcess[str]]:
    """generate (saved), migrate, plan: each must succeed; the plan finds no changes."""
    args = ("--project", str(project))
    generated = run_muskox(*args, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    assert generated.returncode == ExitCode.OK, generated.stderr
    assert "2 to add" in generated.stderr
    migrated = run_muskox(*args, "migrate", "--clickhouse-url", url)
    assert migrated.returncode == ExitCode.OK, migrated.stderr
    assert "Applied 2 operation(s)" in migrated.stderr
    planned = run_muskox(*args, "plan", "--clickhouse-url", url, "--exit-code")
    assert planned.returncode == ExitCode.OK, planned.stdout + planned.stderr
    assert "No changes" in planned.stdout
    return [generated, migrated, planned]


def secret_forms(password: str) -> set[str]:
    return {password, urllib.parse.quote(password, safe=""), urllib.parse.quote(password)}


def assert_never_shown(password: str, runs: list[subprocess.CompletedProcess[str]], project: Path) -> None:
    for run in runs:
        for form in secret_forms(password):
            assert form not in run.stdout
            assert form not in run.stderr
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert not any(form in text for form in secret_forms(password)), path


def tables(server: RunningServer, database: str) -> list[str]:
    with connect(parse_url(server.http_url)) as client:
        rows = client.select_rows(f"SELECT name FROM system.tables WHERE database = '{database}' ORDER BY name")
    return [str(row[0]) for row in rows]


def test_native_url(run_muskox: CliRunner, clickhouse_server: RunningServer, tmp_path: Path) -> None:
    database = f"proto_native_{uuid.uuid4().hex[:8]}"
    write_project(tmp_path, database)
    workflow(run_muskox, tmp_path, f"{clickhouse_server.native_url}/{database}")
    assert tables(clickhouse_server, database) == ["_MOOSE_STATE", "events", "visits"]


@pytest.mark.parametrize("client_certificate", [False, True], ids=["password", "password-and-client-cert"])
def test_https_url_with_a_password(run_muskox: CliRunner, tls_server: TlsClickHouse, tmp_path: Path,
                                   client_certificate: bool) -> None:
    database = f"proto_https_{uuid.uuid4().hex[:8]}"
    write_project(tmp_path, database)
    certificates = tls_server.certificates
    if client_certificate:  # the port that refuses clients without a certificate from the test CA
        url = tls_server.https_url(database, port=tls_server.mtls_port, ca_cert=str(certificates.ca_cert),
                                   client_cert=str(certificates.client_cert),
                                   client_cert_key=str(certificates.client_key))
    else:
        url = tls_server.https_url(database, ca_cert=str(certificates.ca_cert))
    runs = workflow(run_muskox, tmp_path, url)
    assert_never_shown(tls_server.password, runs, tmp_path)
    assert tables(tls_server.server, database) == ["_MOOSE_STATE", "events", "visits"]


def test_a_wrong_password_is_one_clear_error_line(run_muskox: CliRunner, tls_server: TlsClickHouse,
                                                  tmp_path: Path) -> None:
    database = f"proto_badpw_{uuid.uuid4().hex[:8]}"
    write_project(tmp_path, database)
    wrong = tls_server.password[::-1] + "-wrong"
    url = tls_server.https_url(database, password=wrong, ca_cert=str(tls_server.certificates.ca_cert))
    result = run_muskox("--project", str(tmp_path), "plan", "--clickhouse-url", url)
    assert result.returncode == ExitCode.CONNECTION
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("muskox: error: ClickHouse at https://migrator:****@127.0.0.1:")
    assert "refused the credentials of user 'migrator'" in lines[0]
    assert "Traceback" not in result.stderr
    assert_never_shown(wrong, [result], tmp_path)
    assert_never_shown(tls_server.password, [result], tmp_path)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_http_statement_goes_through_clickhouse_connect(run_muskox: CliRunner, tls_server: TlsClickHouse,
                                                              tmp_path: Path, scheme: str) -> None:
    """Every HTTP query of a whole run (generate, migrate, plan) carries clickhouse-connect's user agent."""
    database = f"proto_log_{scheme}_{uuid.uuid4().hex[:8]}"
    write_project(tmp_path, database)
    if scheme == "https":
        url = tls_server.https_url(database, ca_cert=str(tls_server.certificates.ca_cert))
    else:
        url = f"{tls_server.server.http_url}/{database}"
    # The window's bounds are read over the native protocol, which the query below leaves out.
    with connect(parse_url(tls_server.server.native_url), use_database=False) as native:
        [(start,)] = native.query("SELECT toString(now64(6))")
        workflow(run_muskox, tmp_path, url)
        [(end,)] = native.query("SELECT toString(now64(6))")
        native.command("SYSTEM FLUSH LOGS")
        rows = native.query(
            "SELECT DISTINCT query_id, http_user_agent, query FROM system.query_log "
            "WHERE interface = 2 AND is_initial_query "
            f"AND query_start_time_microseconds BETWEEN toDateTime64('{start}', 6) AND toDateTime64('{end}', 6)")
    assert len(rows) >= 10, rows  # connection checks, schema reads, the lock, the DDL, the state
    assert {str(agent) for _, agent, _ in rows if "clickhouse-connect/" not in str(agent)} == set()
    assert all(str(agent).startswith("muskox/") for _, agent, _ in rows)
    statements = [str(query) for _, _, query in rows]
    assert any(statement.startswith("CREATE TABLE") and "events" in statement for statement in statements)
    assert any("system.tables" in statement for statement in statements)
