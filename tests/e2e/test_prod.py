"""``muskox prod`` end to end against the real ClickHouse: boot migration, /health, CMD, the Admin API and
remote planning (``--url/--token``).

Every server started here runs on a free port and is stopped by the test (SIGTERM, then SIGKILL); every wait
is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from muskox.exit_codes import ExitCode
from muskox.files.plan_yaml import Plan, plan_from_yaml, plan_to_yaml
from muskox.model.operations import BUILTIN_OPERATIONS, RawSql
from muskox.testing.processes import free_port, wait_until
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from tests.sync import Gate, wait_for

HEADER = """
from datetime import datetime
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable
"""

V1 = HEADER + """
class Event(BaseModel):
    id: Key[str]
    ts: datetime
    name: str
    legacy: str

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
old_events = OlapTable[Event]("old_events", OlapConfig(order_by_fields=["id"]))
"""

V2_ADDITIVE = HEADER + """
class Event(BaseModel):
    id: Key[str]
    ts: datetime
    name: str
    legacy: str
    country: str

class Click(BaseModel):
    id: Key[str]
    url: str

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
old_events = OlapTable[Event]("old_events", OlapConfig(order_by_fields=["id"]))
clicks = OlapTable[Click]("clicks", OlapConfig(order_by_fields=["id"]))
"""

V2_DESTRUCTIVE = HEADER + """
class Event(BaseModel):
    id: Key[str]
    ts: datetime
    name: str

events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
"""

TIMEOUT = 120.0


def write_project(project: Path, database: str, code: str, *, storage: str = "file") -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(code)
    (project / "muskox.toml").write_text(
        f'[clickhouse_config]\ndb_name = "{database}"\n[state_config]\nstorage = "{storage}"\n')


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    env.update(extra)
    return env


def muskox(project: Path, *args: str, env: dict[str, str] | None = None,
           timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args],
                          env=env or clean_env(), capture_output=True, text=True, timeout=timeout, check=False)


def http(port: int, path: str, *, token: str | None = None, data: bytes | None = None) -> tuple[int, dict]:
    """Status and JSON body (0 and {} when nothing answers)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     method="POST" if data is not None else "GET")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError:
        return 0, {}


def one_error_line(stderr: str) -> str:
    """The only error line (plugin load warnings may come before it); no traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("muskox: error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


def new_token(project: Path) -> dict[str, str]:
    result = muskox(project, "generate", "hash-token", "--json")
    assert result.returncode == 0, result.stderr
    token: dict[str, str] = json.loads(result.stdout)
    return token


class Prod:
    """A ``muskox prod`` child process on a free port; :meth:`stop` always leaves nothing running."""

    def __init__(self, project: Path, url: str, *cmd: str, env: dict[str, str] | None = None,
                 lock_wait: int = 60) -> None:
        self.port = free_port()
        self.log = project / f"prod-{self.port}.log"
        full_env = clean_env(MUSKOX_HTTP_SERVER_CONFIG__HOST="127.0.0.1",
                             MUSKOX_HTTP_SERVER_CONFIG__PORT=str(self.port), **(env or {}))
        argv = [sys.executable, "-m", "muskox", "--project", str(project), "prod", "--clickhouse-url", url,
                "--lock-wait", str(lock_wait)]
        if cmd:
            argv += ["--", *cmd]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(argv, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def healthy(self) -> bool:
        return http(self.port, "/health")[0] == 200

    def wait_healthy(self, timeout: float = TIMEOUT) -> None:
        wait_until(lambda: self.healthy() or self.process.poll() is not None, timeout, interval=0.1)
        assert self.healthy(), self.output

    def wait(self, timeout: float = TIMEOUT) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(15)


@contextlib.contextmanager
def running(prod: Prod) -> Iterator[Prod]:
    try:
        yield prod
    finally:
        prod.stop()


@contextlib.contextmanager
def health_watch(port: int) -> Iterator[list[int]]:
    """Poll /health every 50 ms in the background; yields the statuses seen (0: nothing listening)."""
    seen: list[int] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.append(http(port, "/health")[0])
            done.wait(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join(10)


def writes_file(path: Path, body: str = "") -> tuple[str, ...]:
    """A CMD: a python script that writes ``path`` (after ``body``) and exits 0."""
    return (sys.executable, "-c", f"{body}\nimport pathlib; pathlib.Path({str(path)!r}).write_text('ran')")


def tables(server: RunningServer, database: str) -> list[str]:
    query = f"SELECT name FROM system.tables WHERE database = '{database}' AND name NOT LIKE '\\_%' ORDER BY name"
    request = urllib.request.Request(server.http_url, data=query.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode().split()


def columns(server: RunningServer, database: str, table: str) -> list[str]:
    query = f"SELECT name FROM system.columns WHERE database = '{database}' AND table = '{table}' ORDER BY position"
    request = urllib.request.Request(server.http_url, data=query.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode().split()


def sql(server: RunningServer, statement: str) -> None:
    request = urllib.request.Request(server.http_url, data=statement.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


# -- the boot migration -------------------------------------------------------------------------------------


def test_reviewed_plan_is_applied_then_healthy_then_cmd_runs(clickhouse_server: RunningServer,
                                                            tmp_path: Path) -> None:
    database = "prod_plan"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1)
    generated = muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    assert generated.returncode == 0, generated.stderr
    marker = tmp_path / "cmd-ran"
    # the application starts only once the server is healthy (it inherits the port from the environment)
    check = ("import os, urllib.request\n"
             "port = os.environ['MUSKOX_HTTP_SERVER_CONFIG__PORT']\n"
             "assert urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=10).status == 200\n")
    prod = Prod(tmp_path, url, *writes_file(marker, check))
    code = prod.wait()
    assert code == 0, prod.output
    assert marker.read_text() == "ran"
    assert "Applied 2 operation(s)" in prod.output
    assert tables(clickhouse_server, database) == ["events", "old_events"]
    assert muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code").returncode == ExitCode.OK


def test_drift_stops_the_boot_never_healthy_and_cmd_never_runs(clickhouse_server: RunningServer,
                                                               tmp_path: Path) -> None:
    database = "prod_drift"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url).returncode == 0
    write_project(tmp_path, database, V2_ADDITIVE)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    sql(clickhouse_server, f"ALTER TABLE {database}.events ADD COLUMN drift_column String")

    marker = tmp_path / "cmd-ran"
    prod = Prod(tmp_path, url, *writes_file(marker))
    with health_watch(prod.port) as seen:
        code = prod.wait()
    assert code == ExitCode.DRIFT, prod.output
    assert "the database changed since the migration plan was generated" in prod.output
    assert "muskox prod did not start (drift detected)" in prod.output
    assert "redeploy" in prod.output
    assert not marker.exists()
    assert 200 not in seen and seen, seen
    assert "clicks" not in tables(clickhouse_server, database)  # nothing was executed


def test_plan_for_other_code_stops_the_boot(clickhouse_server: RunningServer, tmp_path: Path) -> None:
    database = "prod_mismatch"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1)
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    write_project(tmp_path, database, V2_ADDITIVE)  # deployed code the plan was not made for
    marker = tmp_path / "cmd-ran"
    prod = Prod(tmp_path, url, *writes_file(marker))
    code = prod.wait()
    assert code == ExitCode.PLAN_INVALID, prod.output
    assert "muskox prod did not start (plan mismatch)" in prod.output
    assert not marker.exists()
    assert tables(clickhouse_server, database) == []


def test_no_plan_destructive_diff_refuses_to_start_unless_opted_out(clickhouse_server: RunningServer,
                                                                    tmp_path: Path) -> None:
    database = "prod_gate"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1)
    first = Prod(tmp_path, url, sys.executable, "-c", "pass")  # no plan, nothing destructive: applied
    assert first.wait() == 0, first.output
    assert "No migration plan; applying the 2 operation(s)" in first.output
    assert tables(clickhouse_server, database) == ["events", "old_events"]

    write_project(tmp_path, database, V2_DESTRUCTIVE)
    marker = tmp_path / "cmd-ran"
    refused = Prod(tmp_path, url, *writes_file(marker))
    with health_watch(refused.port) as seen:
        code = refused.wait()
    assert code == ExitCode.DESTRUCTIVE_REFUSED, refused.output
    out = refused.output
    assert "2 destructive operation(s)" in out
    assert "DROP TABLE prod_gate.old_events" in out and "DROP COLUMN legacy FROM events" in out
    assert "muskox generate migration" in out
    assert "prod_auto_allow_destructive = true" in out
    assert "MUSKOX_MIGRATION_CONFIG__PROD_AUTO_ALLOW_DESTRUCTIVE=true" in out
    assert not marker.exists() and 200 not in seen
    assert tables(clickhouse_server, database) == ["events", "old_events"]

    allowed = Prod(tmp_path, url, *writes_file(marker),
                   env={"MUSKOX_MIGRATION_CONFIG__PROD_AUTO_ALLOW_DESTRUCTIVE": "true"})
    assert allowed.wait() == 0, allowed.output
    assert marker.read_text() == "ran"
    assert tables(clickhouse_server, database) == ["events"]
    assert columns(clickhouse_server, database, "events") == ["id", "ts", "name"]


def test_replicas_booting_together_migrate_once(clickhouse_server: RunningServer, tmp_path: Path) -> None:
    database = "prod_replicas"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1, storage="clickhouse")
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all").returncode == 0
    path = tmp_path / "migrations" / "plan.yaml"
    plan = plan_from_yaml(path.read_text(), BUILTIN_OPERATIONS, CLICKHOUSE)
    with Gate(tmp_path / "gate") as gate:
        # the replica that wins the lock stops at the gate, its first operation, until both others wait for the
        # lock; their wait (--lock-wait) is far longer than anything left once the gate opens
        hold = RawSql(sql=(gate.sql,), description="Holding the lock for the test")
        path.write_text(plan_to_yaml(Plan(created_at=plan.created_at, operations=(hold, *plan.operations)),
                                     CLICKHOUSE))
        replicas = [Prod(tmp_path, url, sys.executable, "-c", "pass", lock_wait=600) for _ in range(3)]
        try:
            def settled() -> bool:  # every replica stands at the gate, waits for the lock or has ended
                waiting = sum("waiting up to 600 s" in r.output or r.process.poll() is not None for r in replicas)
                return gate_readers(clickhouse_server, gate) + waiting == len(replicas)

            wait_for(settled, "each replica to reach the gate, wait for the lock or end")
            assert gate_readers(clickhouse_server, gate) == 1  # the two others wait meanwhile
            gate.open()
            codes = [replica.wait() for replica in replicas]
        finally:
            for replica in replicas:
                replica.stop()
    outputs = [replica.output for replica in replicas]
    assert codes == [0, 0, 0], outputs
    assert sum("Applied 3 operation(s)" in out for out in outputs) == 1, outputs
    assert sum("was already applied - nothing to do" in out for out in outputs) == 2, outputs
    assert sum("waiting up to 600 s" in out for out in outputs) == 2, outputs


def gate_readers(server: RunningServer, gate: Gate) -> int:
    """How many queries stand at ``gate`` right now."""
    request = urllib.request.Request(server.http_url, data=gate.readers_query().encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.read().decode())


# -- serving: the Admin API, signals and remote planning ----------------------------------------------------


def test_admin_api_tokens_remote_plan_and_signal_forwarding(clickhouse_server: RunningServer,
                                                            tmp_path: Path) -> None:
    database = "prod_admin"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1)
    token = new_token(tmp_path)
    got_signal = tmp_path / "got-sigterm"
    app = (sys.executable, "-c",
           "import pathlib, signal, sys, time\n"
           f"def stop(*_):\n    pathlib.Path({str(got_signal)!r}).write_text('SIGTERM')\n    sys.exit(42)\n"
           "signal.signal(signal.SIGTERM, stop)\n"
           "while True:\n    time.sleep(0.1)\n")
    prod = Prod(tmp_path, url, *app, env={"MUSKOX_AUTHENTICATION__ADMIN_API_KEY": token["api_key_hash"]})
    with running(prod):
        prod.wait_healthy()
        status, body = http(prod.port, "/admin/inframap", token=token["bearer_token"])
        assert status == 200 and body["status"] == "success", body
        assert {t["name"] for t in body["infra_map"]["tables"].values()} == {"events", "old_events"}
        bearer = token["bearer_token"]
        altered = bearer[:-1] + ("1" if bearer.endswith("0") else "0")  # one hex digit of the salt differs
        assert http(prod.port, "/admin/inframap", token=altered)[0] == 401
        status, body = http(prod.port, "/admin/inframap", token=new_token(tmp_path)["bearer_token"])
        assert (status, body["message"]) == (401, "Invalid or missing token")
        assert http(prod.port, "/admin/inframap")[0] == 401

        # the code moves on locally; planning through the server equals planning against the database
        write_project(tmp_path, database, V2_ADDITIVE)
        remote = muskox(tmp_path, "plan", "--url", f"http://127.0.0.1:{prod.port}", "--token",
                        token["bearer_token"], "--json")
        assert remote.returncode == 0, remote.stderr
        direct = muskox(tmp_path, "plan", "--clickhouse-url", url, "--json")
        assert direct.returncode == 0, direct.stderr
        remote_plan, direct_plan = json.loads(remote.stdout), json.loads(direct.stdout)
        assert remote_plan["operations"] == direct_plan["operations"]
        assert len(remote_plan["operations"]) == 3  # CREATE clicks, ADD COLUMN country (twice)
        assert remote_plan == direct_plan

        by_env = muskox(tmp_path, "plan", "--url", f"http://127.0.0.1:{prod.port}", "--json",
                        env=clean_env(MUSKOX_ADMIN_TOKEN=token["bearer_token"]))
        assert json.loads(by_env.stdout)["operations"] == direct_plan["operations"], by_env.stderr

        posted = json.dumps({"infra_map": direct_plan["target_infra_map"]}).encode()
        status, body = http(prod.port, "/admin/plan", token=token["bearer_token"], data=posted)
        assert status == 200 and body["operations"] == direct_plan["operations"], body

        saved = muskox(tmp_path, "generate", "migration", "--url", f"http://127.0.0.1:{prod.port}", "--token",
                       token["bearer_token"], "--save")
        assert saved.returncode == 0, saved.stderr
        assert (tmp_path / "migrations" / "plan.yaml").is_file()

        refused = muskox(tmp_path, "plan", "--url", f"http://127.0.0.1:{prod.port}", "--token", "wrong.token")
        assert refused.returncode == ExitCode.CONNECTION
        assert "refused the request (the token was refused): Invalid or missing token" in refused.stderr
        assert "--token" in one_error_line(refused.stderr)

        os.kill(prod.process.pid, signal.SIGTERM)  # forwarded to the application, whose exit code wins
        assert prod.process.wait(30) == 42, prod.output
    assert got_signal.read_text() == "SIGTERM"
    assert token["bearer_token"] not in prod.output and token["api_key_hash"] not in prod.output

    # the deployment the plan was generated for applies it: the remote state matched the database
    migrated = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert migrated.returncode == 0, migrated.stderr
    assert "clicks" in tables(clickhouse_server, database)


def test_unreachable_admin_api_is_one_line_with_the_fix(tmp_path: Path) -> None:
    write_project(tmp_path, "prod_unreachable", V1)
    result = muskox(tmp_path, "plan", "--url", f"http://127.0.0.1:{free_port()}", "--token", "a.b")
    assert result.returncode == ExitCode.CONNECTION
    assert "cannot reach the Admin API at http://127.0.0.1:" in result.stderr
    assert "Fix:" in one_error_line(result.stderr)


def test_prod_without_cmd_serves_until_sigterm_and_refuses_admin_without_key(clickhouse_server: RunningServer,
                                                                              tmp_path: Path) -> None:
    database = "prod_nokey"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1)
    prod = Prod(tmp_path, url)
    with running(prod):
        prod.wait_healthy()
        status, body = http(prod.port, "/admin/inframap", token="a.b")
        assert (status, body["message"]) == (401, "Admin API key not configured")
        started = time.monotonic()
        os.kill(prod.process.pid, signal.SIGTERM)
        assert prod.process.wait(30) == 0, prod.output
        assert time.monotonic() - started < 10
    assert "admin_api_key is not set" in prod.output


def test_delta_mode_applies_committed_files_and_refuses_uncovered_code(clickhouse_server: RunningServer,
                                                                       tmp_path: Path) -> None:
    database = "prod_deltas"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, V1)
    with (tmp_path / "muskox.toml").open("a") as config:
        config.write("[features]\nmigrate_with_deltas = true\n")
    assert muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    token = new_token(tmp_path)
    prod = Prod(tmp_path, url, env={"MUSKOX_AUTHENTICATION__ADMIN_API_KEY": token["api_key_hash"]})
    with running(prod):
        prod.wait_healthy()
        assert "Recorded" in prod.output and tables(clickhouse_server, database) == ["events", "old_events"]
        write_project(tmp_path, database, V2_ADDITIVE)
        with (tmp_path / "muskox.toml").open("a") as config:
            config.write("[features]\nmigrate_with_deltas = true\n")
        generated = muskox(tmp_path, "generate", "migration", "--url", f"http://127.0.0.1:{prod.port}", "--token",
                           token["bearer_token"], "--save", "--description", "clicks")
        assert generated.returncode == 0, generated.stderr
    second = next((tmp_path / "migrations").glob("*_clicks.yaml"))

    aside = tmp_path / second.name
    second.rename(aside)  # the deployment lacks the file that covers the code
    marker = tmp_path / "cmd-ran"
    refused = Prod(tmp_path, url, *writes_file(marker))
    assert refused.wait() == ExitCode.PLAN_INVALID, refused.output
    assert "no committed migration file covers" in refused.output and not marker.exists()
    assert "clicks" not in tables(clickhouse_server, database)

    aside.rename(second)
    applied = Prod(tmp_path, url, *writes_file(marker))
    assert applied.wait() == 0, applied.output
    assert marker.read_text() == "ran"
    assert tables(clickhouse_server, database) == ["clicks", "events", "old_events"]
