"""No traceback for any input (issue 15, item 6): random and mutated URLs, config files, environment values,
plan and state files and Admin API requests, fed to the real CLI and a real ``muskox prod``.

Every run must end with a documented exit code and, unless it is 1 (a bug, reported with its traceback), print
no traceback. The CLI runs in-process (``muskox.cli.main.run``: each call discovers plugins and reads files
afresh), which keeps a few hundred runs well under a minute; CI draws the same examples every time (the ``ci``
profile of tests/conftest.py derandomizes hypothesis).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import shutil
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.cli.main import run
from muskox.exit_codes import ExitCode
from muskox.testing.processes import free_port
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_prod import V1, Prod, new_token, running, write_project

DOCUMENTED = {int(code) for code in ExitCode}
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith(("MUSKOX_", "MOOSE_"))]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def cli(*argv: str, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """Run the CLI in-process; its exit code and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    with environment(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv))
    return code, out.getvalue() + err.getvalue()


def check(code: int, printed: str) -> None:
    assert code in DOCUMENTED, (code, printed[-2000:])
    if code != ExitCode.FAILURE:
        assert "Traceback" not in printed, printed[-3000:]
    assert code != ExitCode.FAILURE, f"a traceback (a bug):\n{printed[-3000:]}"


def mutated(base: bytes) -> st.SearchStrategy[bytes]:
    """``base`` with a few bytes replaced, inserted or deleted, or cut short."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
            where = draw(st.integers(0, max(0, len(data) - 1)))
            if kind == "replace" and data:
                data[where] = draw(st.integers(0, 255))
            elif kind == "insert":
                data[where:where] = draw(st.sampled_from([b"{", b"[", b'"', b":", b"\n", b"- ", b"&a ", b"*a",
                                                          b"\xff", b"null", b"-1", b"1e999", b"NaN", b"\t"]))
            elif kind == "delete" and data:
                del data[where]
            elif kind == "truncate":
                del data[where:]
        return bytes(data)

    return mutate()


# -- URLs ---------------------------------------------------------------------------------------------------

CLOSED = free_port()
schemes = st.sampled_from(["http://", "https://", "clickhouse://", "redis://", "rediss://", "ftp://", "", "http//",
                           "http:/", "HTTP://", "clickhouse+native://", "://"])
users = st.sampled_from(["", "alice:S3cret@", "alice@", ":@", "a:b:c@", "%zz:%00@", "user:p@ss@"])
hosts = st.sampled_from(["127.0.0.1", "[::1]", "", "[::1", "127.0.0.1]", "%", "127.0.0.1.", "0"])
ports = st.sampled_from(["", f":{CLOSED}", ":0", ":-5", ":70000", ":abc", ":", ":99999999999999999999"])
paths = st.sampled_from(["", "/", "/db", "/db/extra", "/%00", "/a b", "?x=1", "/db?secure=maybe", "#f", "/0",
                         "/16"])
urls = st.builds(lambda *parts: "".join(parts), schemes, users, hosts, ports, paths) | st.text(max_size=40)


@FUZZ
@given(url=urls, which=st.sampled_from(["--clickhouse-url", "--redis-url"]))
def test_urls(tmp_path_factory: pytest.TempPathFactory, url: str, which: str) -> None:
    project = tmp_path_factory.mktemp("url")
    storage = "redis" if which == "--redis-url" else "clickhouse"
    (project / "muskox.toml").write_text(f'[state_config]\nstorage = "{storage}"\n')
    code, printed = cli("--project", str(project), "lock", "status", which, url)
    check(code, printed)
    assert "S3cret" not in printed, printed


# -- configuration files and environment values --------------------------------------------------------------

CONFIG = b"""[clickhouse_config]
db_name = "local"
host_port = 18123
additional_databases = ["other"]
[state_config]
storage = "file"
[migration_config]
parallelism = 4
ignore_operations = []
[http_server_config]
port = 4000
[redis_config]
url = "redis://127.0.0.1:6379"
key_prefix = "x"
[features]
migrate_with_deltas = false
"""

ENV_NAMES = ["MUSKOX_CLICKHOUSE_CONFIG__HOST_PORT", "MUSKOX_MIGRATION_CONFIG__PARALLELISM",
             "MUSKOX_STATE_CONFIG__STORAGE", "MUSKOX_FEATURES__MIGRATE_WITH_DELTAS", "MUSKOX_HTTP_SERVER_CONFIG__PORT",
             "MUSKOX_CLICKHOUSE_CONFIG__ADDITIONAL_DATABASES", "MUSKOX_NO_SUCH__KEY", "MUSKOX_REDIS_CONFIG__URL",
             "MOOSE_CLICKHOUSE_CONFIG__DB_NAME", "MUSKOX_MIGRATION_CONFIG__IGNORE_OPERATIONS", "MUSKOX_TENANT",
             "MUSKOX_CLICKHOUSE_CONFIG__USE_SSL", "MUSKOX_STOP_GRACE_SECONDS"]
env_values = st.sampled_from(["", "nan", "-1", "1e999", "70000", "[1,", '["a"]', "true", "maybe", "\x00", "é",
                              "redis://u:S3cret@", "0x10", " 4 "]) | st.text(max_size=12)


@FUZZ
@given(config=mutated(CONFIG), env=st.dictionaries(st.sampled_from(ENV_NAMES), env_values, max_size=3))
def test_config_files_and_environment(tmp_path_factory: pytest.TempPathFactory, config: bytes,
                                      env: dict[str, str]) -> None:
    project = tmp_path_factory.mktemp("config")
    (project / "muskox.toml").write_bytes(config)
    env = {name: value.replace("\x00", "") for name, value in env.items()}
    for args in (("config", "show"), ("migrate", "--validate")):
        check(*cli("--project", str(project), *args, env=env))


# -- plan, state and delta files ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned(clickhouse_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project with a generated plan (plan.yaml, remote_state.json, local_infra_map.json) and a stored state."""
    project = tmp_path_factory.mktemp("planned")
    database = "fuzz_files"
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(project, database, V1)
    code, printed = cli("--project", str(project), "generate", "migration", "--clickhouse-url", url, "--save",
                        "--yes-all")
    assert code == 0, printed
    code, printed = cli("--project", str(project), "migrate", "--clickhouse-url", url)
    assert code == 0, printed
    return project, url


def copy_of(project: Path, into: Path) -> Path:
    target = into / "p"
    shutil.copytree(project, target, ignore=shutil.ignore_patterns(".muskox", "__pycache__"))
    shutil.copytree(project / ".muskox" / "state", target / ".muskox" / "state")
    return target


PLAN_FILES = ["migrations/plan.yaml", "migrations/remote_state.json", "migrations/local_infra_map.json"]
STATE_FILES = [".muskox/state/infra_map.json", ".muskox/state/applied_migrations.json"]


@FUZZ
@given(data=st.data(), name=st.sampled_from(PLAN_FILES))
def test_plan_files(planned: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
                    name: str) -> None:
    project = copy_of(planned[0], tmp_path_factory.mktemp("plan"))
    path = project / name
    path.write_bytes(data.draw(mutated(path.read_bytes())))
    check(*cli("--project", str(project), "migrate", "--validate"))


@FUZZ
@given(data=st.data(), name=st.sampled_from(STATE_FILES))
def test_stored_state(planned: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
                      name: str) -> None:
    project = copy_of(planned[0], tmp_path_factory.mktemp("state"))
    path = project / name
    path.write_bytes(data.draw(mutated(path.read_bytes())))
    code, printed = cli("--project", str(project), "plan", "--clickhouse-url", planned[1])
    check(code, printed)


DELTA = b"""id: 20250101000000_first
parent_state_hash: %s
deltas:
  - type: create_table
    table:
      name: fuzzed
      columns:
        - {name: id, type: String}
      order_by: [id]
"""


@FUZZ
@given(delta=mutated(DELTA % b"0" * 1))
def test_delta_files(tmp_path_factory: pytest.TempPathFactory, delta: bytes) -> None:
    project = tmp_path_factory.mktemp("delta")
    (project / "muskox.toml").write_text('[features]\nmigrate_with_deltas = true\n[state_config]\nstorage = "file"\n')
    (project / "migrations").mkdir()
    (project / "migrations" / "20250101000000_first.yaml").write_bytes(delta)
    check(*cli("--project", str(project), "migrate", "--validate"))


# -- the Admin API ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod(clickhouse_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prod]:
    project = tmp_path_factory.mktemp("prod")
    database = "fuzz_admin"
    write_project(project, database, V1)
    token = new_token(project)
    server = Prod(project, f"{clickhouse_server.http_url}/{database}",
                  env={"MUSKOX_AUTHENTICATION__ADMIN_API_KEY": token["api_key_hash"]})
    with running(server):
        server.wait_healthy()
        server.token = token["bearer_token"]  # type: ignore[attr-defined]
        yield server


PLAN_BODY = json.dumps({"infra_map": {"default_database": "fuzz_admin", "tables": {}, "topics": {}}}).encode()
methods = st.sampled_from(["GET", "POST", "HEAD", "DELETE", "PUT", "PATCH", "OPTIONS", "TRACE", "BREW"])
request_paths = st.sampled_from(["/health", "/admin/plan", "/admin/inframap", "/admin", "/admin/", "/", "//admin/plan",
                                 "/admin/plan?x=1", "/admin/../health", "*", "/%ff"])


@FUZZ
@given(method=methods, path=request_paths, body=mutated(PLAN_BODY) | st.binary(max_size=64),
       auth=st.sampled_from(["valid", "none", "Bearer x.y", "Basic abc", "Bearer " + "a" * 5000]))
def test_admin_api(prod: Prod, method: str, path: str, body: bytes, auth: str) -> None:
    token = f"Bearer {prod.token}" if auth == "valid" else auth  # type: ignore[attr-defined]
    headers = {} if auth == "none" else {"Authorization": token}
    connection = http.client.HTTPConnection("127.0.0.1", prod.port, timeout=60)
    try:
        connection.request(method, path, body=body if method not in ("GET", "HEAD") else None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    assert response.status < 500 or response.status in (501, 503), (response.status, raw[:300])
    assert response.getheader("Content-Type") == "application/json", (response.status, raw[:300])
    if method != "HEAD":
        document = json.loads(raw)
        assert "Traceback" not in json.dumps(document)
    assert prod.process.poll() is None


def test_raw_garbage_to_the_server(prod: Prod) -> None:
    for data in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"G" * 70000 + b"\r\n\r\n",
                 b"POST /admin/plan HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST /admin/plan HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", prod.port), timeout=60) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply == b"" or b"application/json" in reply, (data[:40], reply[:300])
    assert prod.healthy()
