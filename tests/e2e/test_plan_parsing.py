"""Strict parsing through the real CLI: a tampered ``migrations/plan.yaml`` stops ``muskox migrate`` with exit 7
and one clear line before anything runs, and the database and the stored state stay as they were.

Each test applies a first plan (table ``t0``), generates a second one (adding ``t1``), edits it by hand and runs
``python -m muskox --project DIR migrate --clickhouse-url URL`` against the session's ClickHouse.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from muskox.exit_codes import ExitCode
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer

MODEL = """
from datetime import datetime
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]
    ts: datetime
    v: int
"""

MEMORY_LIMIT = 1024 ** 3
"""The address space a migrate run gets in the alias-bomb test: plenty for muskox, nothing for 9**12 strings."""


def write_project(project: Path, database: str, tables: int, *, deltas: bool = False) -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(MODEL + "".join(
        f't{i} = OlapTable[Row]("t{i}", OlapConfig(order_by_fields=["id"]))\n' for i in range(tables)))
    features = "[features]\nmigrate_with_deltas = true\n" if deltas else ""
    (project / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                         f'[state_config]\nstorage = "file"\n{features}')


def muskox(project: Path, *args: str,
           preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False, preexec_fn=preexec_fn)


@attrs.frozen
class Planned:
    """A project whose database has ``t0`` and whose reviewed plan (not applied yet) adds ``t1``."""

    project: Path
    url: str
    database: str
    client: object

    @property
    def plan(self) -> Path:
        return self.project / "migrations" / "plan.yaml"

    def tables(self) -> list[str]:
        rows = self.client.query(  # type: ignore[attr-defined]
            f"SELECT name FROM system.tables WHERE database = '{self.database}' ORDER BY name")
        return [row[0] for row in rows]

    def stored_state(self) -> bytes:
        return (self.project / ".muskox" / "state" / "infra_map.json").read_bytes()

    def migrate(self, preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
        return muskox(self.project, "migrate", "--clickhouse-url", self.url, preexec_fn=preexec_fn)


@pytest.fixture
def planned(clickhouse_server: RunningServer, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Planned]:
    database = "strict_" + re.sub(r"\W", "_", request.node.name)[:40]
    url = f"{clickhouse_server.http_url}/{database}"
    write_project(tmp_path, database, 1)
    for step in (("generate", "migration", "--clickhouse-url", url, "--save", "--yes-all"),
                 ("migrate", "--clickhouse-url", url)):
        result = muskox(tmp_path, *step)
        assert result.returncode == 0, result.stderr
    write_project(tmp_path, database, 2)
    result = muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    assert result.returncode == 0, result.stderr
    with connect(parse_url(clickhouse_server.http_url)) as client:
        planned = Planned(project=tmp_path, url=url, database=database, client=client)
        assert planned.tables() == ["t0"]
        yield planned


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line the command printed."""
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("muskox: error: ")]
    return line


def assert_refused(planned: Planned, result: subprocess.CompletedProcess[str], state: bytes) -> None:
    """Exit 7 without a traceback, and nothing ran: the database and the stored state are unchanged."""
    assert result.returncode == ExitCode.PLAN_INVALID, result.stderr
    assert "Traceback" not in result.stderr
    assert planned.tables() == ["t0"]
    assert planned.stored_state() == state


def billion_laughs(levels: int = 12) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_an_alias_bomb_is_refused_with_bounded_memory_and_nothing_runs(planned: Planned) -> None:
    state = planned.stored_state()
    text = planned.plan.read_text()
    at = text.index("created_at:")
    planned.plan.write_text(text[:at] + billion_laughs() + text[at:]
                            + "- RawSql:\n    description: laughs\n    sql: *l11\n")

    result = planned.migrate(preexec_fn=limit_memory)

    assert_refused(planned, result, state)
    line = error_line(result)
    anchor_line = text[:at].count("\n") + 1
    assert f"plan.yaml: line {anchor_line}: YAML anchors and aliases are not allowed (found '&l0')" in line
    validate = muskox(planned.project, "migrate", "--validate", preexec_fn=limit_memory)
    assert validate.returncode == ExitCode.PLAN_INVALID and "YAML anchors and aliases" in error_line(validate)


def test_a_string_for_a_boolean_is_refused(planned: Planned) -> None:
    state = planned.stored_state()
    text = planned.plan.read_text()
    assert "required: true" in text
    planned.plan.write_text(text.replace("required: true", 'required: "false"', 1))

    result = planned.migrate()

    assert_refused(planned, result, state)
    assert re.search(r"plan\.yaml: operations\[\d+\]\.CreateTable\.table: columns\[\d+\]: required: expected true "
                     r"or false, got the string 'false'", result.stderr), result.stderr


def test_raw_sql_as_a_string_is_refused(planned: Planned) -> None:
    state = planned.stored_state()
    statement = f"CREATE TABLE {planned.database}.oops (x Int8) ENGINE = Memory"
    planned.plan.write_text(planned.plan.read_text() + f"- RawSql:\n    description: oops\n    sql: {statement}\n")

    result = planned.migrate()

    assert_refused(planned, result, state)
    found = re.search(r"plan\.yaml: operations\[\d+\]\.RawSql\.sql: expected a list of strings, got the string "
                      r"'(CREATE TABLE strict_[^']*)…'", result.stderr)
    assert found and len(found.group(1)) == 60, result.stderr  # a prefix of the statement, never all of it


def test_a_plan_that_is_not_utf8_is_one_line(planned: Planned) -> None:
    state = planned.stored_state()
    planned.plan.write_bytes(planned.plan.read_bytes().replace(b"t1", b"t\xe91", 1))

    result = planned.migrate()

    assert_refused(planned, result, state)
    line = error_line(result)
    assert re.search(r"plan\.yaml: not UTF-8 text \(line \d+, byte \d+ is not UTF-8\)", line), line


@pytest.mark.parametrize("body", [b"", b"[]\n", b"42\n", b"- just\n- a list\n"])
def test_a_snapshot_of_the_wrong_shape_is_one_line(planned: Planned, body: bytes) -> None:
    state = planned.stored_state()
    (planned.project / "migrations" / "remote_state.json").write_bytes(body)

    result = planned.migrate()

    assert_refused(planned, result, state)
    assert "remote_state.json: " in error_line(result)


def test_a_delta_file_with_an_alias_bomb_fails_validation(tmp_path: Path) -> None:
    write_project(tmp_path, "strict_delta", 1, deltas=True)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20260101_000000_000_bomb.yaml").write_text(
        "id: 20260101_000000_000_bomb\ndescription: bomb\nparent_state_hash: abc\n" + billion_laughs()
        + "deltas:\n- type: RawSql\n  sql: *l11\ncreated_at: 2026-01-01T00:00:00Z\n")

    result = muskox(tmp_path, "migrate", "--validate", preexec_fn=limit_memory)

    assert result.returncode == ExitCode.PLAN_INVALID, result.stderr
    assert "Traceback" not in result.stderr
    assert "are invalid (1 problem):\n  20260101_000000_000_bomb.yaml: line 4: YAML anchors and aliases are not " \
           "allowed (found '&l0')\n" in result.stderr
