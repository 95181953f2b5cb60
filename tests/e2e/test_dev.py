"""``muskox dev`` end to end, on real servers: the loop follows the code save after save.

Every step synchronises on a line ``dev`` prints (its output goes to a file the test reads), never on time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox.testing.processes import free_port
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.local.probes import port_free
from tests.sync import wait_for

HEADER = """\
from datetime import datetime
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable, UInt32, UInt64
"""

STATUS = re.compile(r"^(✓ Applied|· No changes|✗ )", re.MULTILINE)


def events_module(*fields: str, extra: str = "") -> str:
    body = "".join(f"    {field}\n" for field in fields)
    return (HEADER + extra + "\n\nclass Event(BaseModel):\n" + body
            + '\n\nevents = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))\n')


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}


class Dev:
    """A running ``muskox dev`` whose output (stdout and stderr) goes to ``log``."""

    def __init__(self, project: Path, *args: str) -> None:
        self.project = project
        self.log = project / "dev.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "muskox", "--project", str(project), "dev", *args],
                                            env=environment(), stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def statuses(self) -> int:
        """How many cycles have ended so far."""
        return len(STATUS.findall(self.output))

    def wait_text(self, text: str, after: int = 0) -> None:
        def seen() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"muskox dev exited ({self.process.returncode}):\n{self.output}")
            return text in self.output[after:]

        wait_for(seen, f"{text!r} in the output of muskox dev")

    def save(self, source: str) -> int:
        """Write app/main.py; returns where the output stood (to look for the cycle's lines after it)."""
        mark = len(self.output)
        (self.project / "app" / "main.py").write_text(source)
        return mark

    def cycle(self, source: str) -> str:
        """Save ``source`` and return the output of the cycle it causes (up to its status line)."""
        count = self.statuses()
        mark = self.save(source)
        wait_for(lambda: self.statuses() > count or self.process.poll() is not None, "the next cycle of muskox dev")
        assert self.process.poll() is None, self.output
        return self.output[mark:]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=120)


def muskox(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args], env=environment(),
                          capture_output=True, text=True, timeout=300, check=False)


def write_config(project: Path, database: str, extra: str = "") -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n{extra}'
                                         '[state_config]\nstorage = "file"\n')


@pytest.fixture
def sql(clickhouse_server: RunningServer) -> Iterator[object]:
    with connect(parse_url(clickhouse_server.http_url)) as client:
        yield client


def columns(sql: object, database: str, table: str) -> list[tuple[str, str]]:
    rows = sql.query(  # type: ignore[attr-defined]
        f"SELECT name, type FROM system.columns WHERE database = '{database}' AND table = '{table}' ORDER BY position")
    return [(str(name), str(kind)) for name, kind in rows]


def tables(sql: object, database: str) -> list[str]:
    rows = sql.query(f"SELECT name FROM system.tables WHERE database = '{database}' ORDER BY name")  # type: ignore[attr-defined]
    return [str(row[0]) for row in rows]


def test_dev_follows_every_kind_of_change(clickhouse_server: RunningServer, tmp_path: Path, sql: object) -> None:
    database = "dev_follow"
    url = f"{clickhouse_server.http_url}/{database}"
    write_config(tmp_path, database)
    (tmp_path / "app" / "extra.py").write_text(
        HEADER + '\n\nclass Extra(BaseModel):\n    id: Key[str]\n\n\n'
                 'extras = OlapTable[Extra]("extras", OlapConfig(order_by_fields=["id"]))\n')
    base = ["id: Key[str]", "ts: datetime", "visits: UInt32", "referrer: str"]
    (tmp_path / "app" / "main.py").write_text(events_module(*base, extra="from app import extra  # noqa: F401"))
    dev = Dev(tmp_path, "--clickhouse-url", url, "--yes-destructive", "--yes-rename")
    try:
        dev.wait_text("Watching app/ for changes")
        assert "+ Table: events - id: String, ts: DateTime, visits: UInt32, referrer: String" in dev.output
        assert "+ Table: extras - id: String" in dev.output
        assert tables(sql, database) == ["events", "extras"]

        # a module no longer imported, then deleted, does not linger: its table goes
        out = dev.cycle(events_module(*base))
        assert "- Table: extras" in out and "✓ Applied 1 operation(s)" in out
        (tmp_path / "app" / "extra.py").unlink()
        assert tables(sql, database) == ["events"]

        out = dev.cycle(events_module(*base, "country: str"))
        assert "~ Table: events\n    + country: String\n✓ Applied 1 operation(s)" in out
        assert ("country", "String") in columns(sql, database, "events")

        out = dev.cycle(events_module("id: Key[str]", "ts: datetime", "visits: UInt64", "referrer: str",
                                      "country: str"))
        assert "    ~ visits: UInt32 -> UInt64" in out
        assert ("visits", "UInt64") in columns(sql, database, "events")

        # a syntax error is one block; the loop keeps going and the next good save recovers
        out = dev.cycle(events_module("id: Key[str]", "ts: datetime", "visits: UInt64 = (", "country: str"))
        assert "✗ The project's code failed to load (nothing was applied):" in out
        assert "app/main.py:" in out and "syntax error" in out and "Traceback" not in out

        out = dev.cycle(events_module("id: Key[str]", "ts: datetime", "visits: UInt64", "country: str"))
        assert "    - referrer\n✓ Applied 1 operation(s)" in out
        assert [name for name, _ in columns(sql, database, "events")] == ["id", "ts", "visits", "country"]

        out = dev.cycle(events_module("id: Key[str]", "ts: datetime", "visits: UInt64", "region: str"))
        assert "    ~ country -> region (renamed)" in out
        assert [name for name, _ in columns(sql, database, "events")] == ["id", "ts", "visits", "region"]

        # a burst of ten saves: at most two apply cycles
        count = dev.statuses()
        fields = ["id: Key[str]", "ts: datetime", "visits: UInt64", "region: str"]
        for number in range(1, 11):
            dev.save(events_module(*fields, *(f"b{k}: str" for k in range(1, number + 1))))
        dev.wait_text("+ b10: String")
        final = [*fields, *(f"b{k}: str" for k in range(1, 11))]
        out = dev.cycle(events_module(*final, "sentinel: str"))  # any cycle the burst still caused ends first
        assert "+ sentinel: String" in out
        burst = dev.output.split("+ sentinel: String")[0]
        applied = STATUS.findall(burst)[count:]
        assert 1 <= applied.count("✓ Applied") <= 2, applied
        assert [name for name, _ in columns(sql, database, "events")] == [
            "id", "ts", "visits", "region", *(f"b{k}" for k in range(1, 11)), "sentinel"]
    finally:
        code = dev.stop()
    assert code == ExitCode.OK, dev.output
    assert "Stopping." in dev.output

    plan = muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code")
    assert plan.returncode == ExitCode.OK, plan.stdout + plan.stderr  # the database equals the code
    assert not (tmp_path / "migrations").exists()  # dev never writes migrations/ unless asked
    records = [json.loads(line) for line in muskox(tmp_path, "logs", "--json").stdout.splitlines()]
    statements = [r["sql"] for r in records if r["command"] == "dev" and r["event"] == "statement"]
    assert any("ADD COLUMN `sentinel`" in statement for statement in statements)


def test_without_terminal_or_flag_destructive_changes_are_skipped(clickhouse_server: RunningServer, tmp_path: Path,
                                                                  sql: object) -> None:
    database = "dev_skip"
    url = f"{clickhouse_server.http_url}/{database}"
    write_config(tmp_path, database)
    others = '\n\nclass Other(BaseModel):\n    id: Key[str]\n{}\n\nothers = OlapTable[Other]("others", ' \
             'OlapConfig(order_by_fields=["id"]))\n'
    (tmp_path / "app" / "main.py").write_text(events_module("id: Key[str]", "x: str", "y: UInt32")
                                              + others.format(""))
    dev = Dev(tmp_path, "--clickhouse-url", url, "--save-plan")
    try:
        dev.wait_text("Watching app/ for changes")
        out = dev.cycle(events_module("id: Key[str]", "x: str") + others.format("    z: str"))
        assert "! Skipped 'events': Dropping column 'y' from table 'events' (destructive)" in out
        assert "--yes-destructive" in out
        assert "~ Table: others\n    + z: String\n" in out  # the rest is applied
        assert [name for name, _ in columns(sql, database, "events")] == ["id", "x", "y"]
        assert [name for name, _ in columns(sql, database, "others")] == ["id", "z"]
        assert (tmp_path / "migrations" / "plan.yaml").is_file()  # --save-plan

        out = dev.cycle(events_module("id: Key[str]", "renamed_x: str", "y: UInt32") + others.format("    z: str"))
        assert "! Skipped 'events': column 'x' looks renamed to 'renamed_x'" in out
        assert [name for name, _ in columns(sql, database, "events")] == ["id", "x", "y"]
    finally:
        assert dev.stop() == ExitCode.OK, dev.output


def test_without_a_server_url_dev_runs_the_local_server_and_stops_it(tmp_path: Path) -> None:
    http_port, tcp_port = free_port(), free_port()
    write_config(tmp_path, "dev_local", f'host = "127.0.0.1"\nhost_port = {http_port}\nnative_port = {tcp_port}\n')
    (tmp_path / "app" / "main.py").write_text(events_module("id: Key[str]", "ts: datetime"))
    dev = Dev(tmp_path)
    try:
        dev.wait_text("Watching app/ for changes")
        assert "Started local server at http://127.0.0.1:" in dev.output
        with connect(parse_url(f"http://127.0.0.1:{http_port}")) as client:
            assert tables(client, "dev_local") == ["events"]
    finally:
        code = dev.stop()
    assert code == ExitCode.OK, dev.output
    assert "Stopped the local server that dev started" in dev.output
    assert port_free(http_port) and port_free(tcp_port)


def test_init_then_dev_from_an_empty_directory(tmp_path: Path) -> None:
    """The quickstart: `muskox init demo`, then `muskox dev` in it gives a table in a local ClickHouse."""
    project = tmp_path / "demo"
    created = muskox(tmp_path, "init", str(project))
    assert created.returncode == ExitCode.OK, created.stderr
    http_port, tcp_port = free_port(), free_port()  # the written ports, moved off the defaults other runs may hold
    config = project / "muskox.toml"
    text = config.read_text()
    assert "host_port = 18123" in text and "native_port = 19000" in text
    config.write_text(text.replace("host_port = 18123", f"host_port = {http_port}")
                      .replace("native_port = 19000", f"native_port = {tcp_port}"))
    dev = Dev(project)
    try:
        dev.wait_text("Watching app/ for changes")
        with connect(parse_url(f"http://127.0.0.1:{http_port}")) as client:
            assert tables(client, "demo") == ["events"]
    finally:
        code = dev.stop()
    assert code == ExitCode.OK, dev.output
    assert port_free(http_port) and port_free(tcp_port)
