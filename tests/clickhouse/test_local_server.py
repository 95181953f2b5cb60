"""The embedded ClickHouse launcher (``muskox local``), against real servers started by the tests."""

from __future__ import annotations

import http.client
import importlib.metadata
import importlib.util
import json
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from muskox.cli.main import run
from muskox.errors import LocalServerError
from muskox.exit_codes import ExitCode
from muskox.testing.processes import free_port
from muskox_clickhouse.local import (
    LocalClickHouse,
    PortInUse,
    RunningServer,
    ServerStartFailed,
    default_data_dir,
)
from muskox_clickhouse.local.config_files import render_config_xml, render_users_xml
from muskox_clickhouse.local.layout import Layout
from muskox_clickhouse.local.server import serve_sql
from muskox_clickhouse.local.state import read_state, write_state
from tests.conftest import CliRunner

HEAVY_MODULES = ("chdb", "pandas", "pyarrow")


def two_ports() -> tuple[int, int]:
    first, second = free_port(), free_port()
    while second == first:
        second = free_port()
    return first, second


def bindable(port: int) -> bool:
    """True when a server could listen on the port now (SO_REUSEADDR, as ClickHouse itself binds)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(1)
        except OSError:
            return False
        return True


def http_sql(port: int, sql: str) -> str:
    """Run ``sql`` through the HTTP interface (POST) and return the body; fails the test on an error."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body=sql.encode())
        response = conn.getresponse()
        body = response.read().decode()
        assert response.status == 200, body
        return body.strip()
    finally:
        conn.close()


def http_version(port: int) -> str:
    return http_sql(port, "SELECT version()")


def native_version(port: int) -> str:
    """``SELECT version()`` over the native protocol, straight through asynch."""
    import asyncio

    from asynch import Connection

    async def query() -> str:
        connection = Connection(host="127.0.0.1", port=port, user="default", password="")
        async with connection, connection.cursor() as cursor:
            await cursor.execute("SELECT version()")
            row = await cursor.fetchone()
            return str(row[0])

    return asyncio.run(query())


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalClickHouse]:
    """A launcher for a fresh data directory on free ports; whatever it started is stopped afterwards."""
    launcher = LocalClickHouse(tmp_path / "data", *two_ports())
    try:
        yield launcher
    finally:
        launcher.stop()


# -- configuration files (no server) ---------------------------------------------------------------------


def test_config_xml() -> None:
    root = ET.fromstring(render_config_xml(18123, 19000))
    assert root.findtext("listen_host") == "127.0.0.1"
    assert root.findtext("http_port") == "18123"
    assert root.findtext("tcp_port") == "19000"
    assert root.findtext("users_config") == "users.xml"
    assert root.findtext("zookeeper/implementation") == "testkeeper"
    assert root.findtext("keeper_map_path_prefix") == "/keeper_map_tables"


def test_users_xml() -> None:
    root = ET.fromstring(render_users_xml())
    user = root.find("users/default")
    assert user is not None
    assert user.findtext("password") == ""
    assert [ip.text for ip in user.findall("networks/ip")] == ["127.0.0.1", "::1"]
    assert user.findtext("access_management") == "1"
    assert root.findtext("profiles/default/network_compression_method") == "LZ4"


def test_serve_sql_quotes_the_fifo_path() -> None:
    sql = serve_sql(Path("/tmp/it's/stop.fifo"))
    assert "file('/tmp/it\\'s/stop.fifo', 'LineAsString')" in sql
    assert sql.startswith("SYSTEM START LISTEN TCP; SYSTEM START LISTEN HTTP; ")


def test_default_data_dir() -> None:
    assert default_data_dir(Path("/p")) == Path("/p/.muskox/clickhouse")


# -- failures that need no server ------------------------------------------------------------------------


def test_missing_chdb_is_one_line_with_the_install_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "chdb" else real_find_spec(name, *a))
    with pytest.raises(LocalServerError, match=r"muskox-clickhouse\[local\].*chdb-core==26\.9\.0"):
        LocalClickHouse(tmp_path, *two_ports()).start()
    code = run(["--project", str(tmp_path), "local", "start", "--http-port", "1", "--tcp-port", "2"])
    assert code == ExitCode.LOCAL_SERVER
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "pip install 'muskox-clickhouse[local]'" in err


def test_wrong_chdb_version_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "25.1.0" if name == "chdb-core" else real_version(name))
    with pytest.raises(LocalServerError, match=r"chdb-core 25\.1\.0 is installed.*needs 26\.9\.0"):
        LocalClickHouse(tmp_path, *two_ports()).start()


@pytest.mark.parametrize(("which", "flag"), [("http", "--http-port"), ("tcp", "--tcp-port")])
def test_port_in_use_is_one_line_naming_port_and_flag(run_muskox: CliRunner, tmp_path: Path,
                                                       which: str, flag: str) -> None:
    http_port, tcp_port = two_ports()
    taken = http_port if which == "http" else tcp_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen(1)
        result = run_muskox("local", "start", "--data-dir", str(tmp_path / "d"),
                            "--http-port", str(http_port), "--tcp-port", str(tcp_port))
    assert result.returncode == ExitCode.LOCAL_SERVER
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {taken}" in lines[0] and flag in lines[0]
    assert not (tmp_path / "d" / "server.json").exists()


def test_equal_ports_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="both 18500"):
        LocalClickHouse(tmp_path, 18500, 18500).start()


def test_server_dying_at_start_reports_its_log_tail(tmp_path: Path) -> None:
    fake_python = tmp_path / "fake-python"
    fake_python.write_text("#!/bin/sh\necho 'boom: no ClickHouse today' >&2\nexit 3\n")
    fake_python.chmod(0o755)
    launcher = LocalClickHouse(tmp_path / "data", *two_ports(), python=str(fake_python))
    with pytest.raises(ServerStartFailed) as info:
        launcher.start()
    message = str(info.value)
    assert message.splitlines()[0].startswith("the local ClickHouse exited during start-up with code 3")
    assert "boom: no ClickHouse today" in message
    assert not launcher.status().running


# -- real servers ----------------------------------------------------------------------------------------


def test_cli_lifecycle(run_muskox: CliRunner, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    http_port, tcp_port = two_ports()
    data_dir = default_data_dir(project)

    def muskox(*args: str) -> subprocess.CompletedProcess[str]:
        return run_muskox("--project", str(project), "local", *args)

    try:
        started = muskox("start", "--http-port", str(http_port), "--tcp-port", str(tcp_port))
        assert started.returncode == 0, started.stderr
        assert f"http://127.0.0.1:{http_port}" in started.stdout
        assert f"clickhouse://127.0.0.1:{tcp_port}" in started.stdout
        assert str(data_dir) in started.stdout
        assert (data_dir / "server.json").is_file()

        again = muskox("start", "--json")
        assert again.returncode == 0, again.stderr
        info: dict[str, Any] = json.loads(again.stdout)
        assert info["status"] == "already_running"
        assert (info["http_port"], info["tcp_port"]) == (http_port, tcp_port)
        assert info["http_url"] == f"http://127.0.0.1:{http_port}"
        assert info["version"].startswith("26.9.")
        pid = info["pid"]
        assert f"(pid {pid})" in started.stdout

        assert http_version(http_port).startswith("26.9.")
        assert native_version(tcp_port).startswith("26.9.")

        status = json.loads(muskox("status", "--json").stdout)
        assert status["running"] and status["responding"]
        assert status["server"]["pid"] == pid
        assert status["server"]["native_url"] == f"clickhouse://127.0.0.1:{tcp_port}"
        assert status["data_dir"] == str(data_dir)
        human = muskox("status").stdout
        assert human.startswith("running (ClickHouse 26.9.") and f"pid {pid}" in human

        stopped = muskox("stop")
        assert stopped.returncode == 0, stopped.stderr
        assert f"stopped the local ClickHouse (pid {pid})" in stopped.stdout
        assert bindable(http_port) and bindable(tcp_port)
        assert not (data_dir / "server.json").exists()

        assert muskox("status").stdout.startswith("stopped")
        assert json.loads(muskox("status", "--json").stdout)["running"] is False
        again_stopped = muskox("stop")
        assert again_stopped.returncode == 0 and "not running" in again_stopped.stdout
    finally:
        LocalClickHouse(data_dir).stop()


def test_cli_never_imports_chdb(tmp_path: Path) -> None:
    http_port, tcp_port = two_ports()
    data_dir = tmp_path / "data"
    code = (
        "import sys\n"
        "from muskox.cli.main import run\n"
        f"args = ['local', '--help'], ['local', 'start', '--data-dir', {str(data_dir)!r}, "
        f"'--http-port', '{http_port}', '--tcp-port', '{tcp_port}'], ['local', 'status', '--data-dir', "
        f"{str(data_dir)!r}], ['local', 'stop', '--data-dir', {str(data_dir)!r}]\n"
        "codes = [run(list(a)) for a in args]\n"
        f"heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
        "print('RESULT', [int(c) for c in codes], heavy)\n"
    )
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                                check=False)
        assert "RESULT [0, 0, 0, 0] []" in result.stdout, result.stdout + result.stderr
    finally:
        LocalClickHouse(data_dir).stop()


def test_api_start_is_idempotent_and_mergetree_survives_a_restart(local: LocalClickHouse) -> None:
    first = local.start()
    assert not first.already_running
    assert first.version is not None and first.version.startswith("26.9.")
    assert first.http_url == f"http://127.0.0.1:{local.http_port}"
    assert first.native_url == f"clickhouse://127.0.0.1:{local.tcp_port}"
    second = local.start()
    assert second.already_running and second.pid == first.pid and second == first
    status = local.status()
    assert status.running and status.responding and status.server == first

    http_sql(local.http_port, "CREATE DATABASE keep")
    http_sql(local.http_port, "CREATE TABLE keep.t (x UInt32) ENGINE = MergeTree ORDER BY x")
    http_sql(local.http_port, "INSERT INTO keep.t VALUES (7)")
    assert local.stop() == first
    restarted = local.start()
    assert restarted.pid != first.pid and not restarted.already_running
    assert http_sql(local.http_port, "SELECT x FROM keep.t") == "7"


def test_stale_state_file_and_stop_without_fifo(local: LocalClickHouse) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    layout = Layout(local.data_dir)
    local.data_dir.mkdir(parents=True)
    write_state(layout, RunningServer(host="127.0.0.1", http_port=local.http_port, tcp_port=local.tcp_port,
                                      pid=dead.pid, data_dir=local.data_dir, log_path=layout.log_file))

    status = local.status()
    assert not status.running and status.stale_pid == dead.pid

    server = local.start()
    assert not server.already_running and server.pid != dead.pid
    recorded = read_state(layout)
    assert recorded is not None and recorded.pid == server.pid

    layout.stop_fifo.unlink()  # the clean way out is gone: stop must fall back to SIGTERM
    stopped = local.stop()
    assert stopped is not None and stopped.pid == server.pid
    assert bindable(server.http_port) and bindable(server.tcp_port)
    assert not local.status().running
    assert local.stop() is None


def test_start_on_a_taken_port_names_it(local: LocalClickHouse) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", local.tcp_port))
        squatter.listen(1)
        with pytest.raises(PortInUse, match=f"port {local.tcp_port} \\(native\\)"):
            local.start()
    assert not local.status().running
