"""Evolutions that used to stop half-way or lose rows (issue 18), on the real server with rows in the tables.

Each runs in snapshot and delta mode: the code before, rows inserted, the code after (``generate migration
--yes-all --save`` and ``migrate``); the run must finish (no exit 11), keep the rows, and leave nothing to plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from muskox.exit_codes import ExitCode
from muskox.files import delta as d
from muskox.files.delta import migration_from_yaml, migration_to_yaml
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_migrate import add_raw_sql, muskox

HEADER = """
from datetime import datetime
from typing import Optional
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable, UInt32, UInt64
"""

MODES = ["snapshot", "delta"]


@pytest.fixture(scope="module")
def sql(clickhouse_server: RunningServer) -> Iterator[Any]:
    with connect(parse_url(clickhouse_server.http_url)) as client:
        yield client


def project(path: Path, database: str, mode: str, code: str) -> None:
    (path / "app").mkdir(parents=True, exist_ok=True)
    (path / "app" / "main.py").write_text(HEADER + code)
    features = "[features]\nmigrate_with_deltas = true\n" if mode == "delta" else ""
    (path / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n[state_config]\n'
                                      f'storage = "file"\n{features}')


def migrate_to(path: Path, url: str, *extra: str) -> None:
    generated = muskox(path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    assert generated.returncode == 0, generated.stderr
    applied = muskox(path, "migrate", "--clickhouse-url", url, *extra)
    assert applied.returncode == 0, applied.stderr
    planned = muskox(path, "plan", "--clickhouse-url", url, "--exit-code")
    assert planned.returncode == 0, planned.stdout + planned.stderr


def evolve(tmp_path: Path, server: RunningServer, sql: Any, name: str, mode: str, before: str, after: str,
           rows: str) -> str:
    """Migrate to ``before``, insert ``rows`` (``INSERT INTO db.t …`` text after the table), migrate to ``after``;
    the database's name."""
    database = f"safe_{name}_{mode}"
    sql.command(f"DROP DATABASE IF EXISTS {database}")
    url = f"{server.http_url}/{database}"
    project(tmp_path, database, mode, before)
    migrate_to(tmp_path, url)
    sql.command(f"INSERT INTO {database}.t {rows}")
    project(tmp_path, database, mode, after)
    migrate_to(tmp_path, url)
    return database


@pytest.mark.parametrize("mode", MODES)
def test_dropping_a_column_with_the_ttl_that_used_it(mode: str, tmp_path: Path, clickhouse_server: RunningServer,
                                                      sql: Any) -> None:
    before = ("class Row(BaseModel):\n    id: Key[str]\n    ts: datetime\n    expires: datetime\n"
              't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"], ttl="expires + INTERVAL 30 DAY"))\n')
    after = ("class Row(BaseModel):\n    id: Key[str]\n    ts: datetime\n"
             't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"], ttl="ts + INTERVAL 30 DAY"))\n')
    database = evolve(tmp_path, clickhouse_server, sql, "ttl", mode, before, after,
                      "VALUES ('a', now(), now()), ('b', now(), now())")
    assert sql.query(f"SELECT id FROM {database}.t ORDER BY id") == [("a",), ("b",)]


@pytest.mark.parametrize("mode", MODES)
def test_key_column_type_change_keeps_the_rows(mode: str, tmp_path: Path, clickhouse_server: RunningServer,
                                               sql: Any) -> None:
    before = ('class Row(BaseModel):\n    id: Key[UInt32]\n    v: str\n'
              't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')
    after = before.replace("Key[UInt32]", "Key[UInt64]")
    database = evolve(tmp_path, clickhouse_server, sql, "key", mode, before, after,
                      "SELECT number, toString(number) FROM numbers(1000)")
    assert sql.query(f"SELECT count(), sum(id), toTypeName(any(id)) FROM {database}.t") == [(1000, 499500, "UInt64")]
    leftovers = sql.query(f"SELECT name FROM system.tables WHERE database = '{database}' AND name LIKE '%muskox_copy'")
    assert leftovers == []


@pytest.mark.parametrize("mode", MODES)
def test_nullable_to_not_nullable_with_nulls(mode: str, tmp_path: Path, clickhouse_server: RunningServer,
                                             sql: Any) -> None:
    before = ('class Row(BaseModel):\n    id: Key[str]\n    n: Optional[int] = None\n'
              't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')
    after = before.replace("n: Optional[int] = None", "n: int")
    database = evolve(tmp_path, clickhouse_server, sql, "nulls", mode, before, after,
                      "VALUES ('a', NULL), ('b', 7)")
    assert sql.query(f"SELECT id, n FROM {database}.t ORDER BY id") == [("a", 0), ("b", 7)]


@pytest.mark.parametrize("mode", MODES)
def test_growing_records_keeps_their_values(mode: str, tmp_path: Path, clickhouse_server: RunningServer,
                                            sql: Any) -> None:
    before = ('class Point(BaseModel):\n    x: int\n    label: str\n'
              'class Row(BaseModel):\n    id: Key[str]\n    p: Point\n'
              't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')
    after = before.replace("    label: str\n", "    label: str\n    weight: float = 0\n", 1)
    database = evolve(tmp_path, clickhouse_server, sql, "records", mode, before, after,
                      "SELECT 'a', CAST([(1, 'one'), (2, 'two')] AS Array(Tuple(x Int64, label String)))")
    rows = sql.query(f"SELECT arrayMap(q -> q.label, p), arrayMap(q -> q.x, p), toTypeName(p) FROM {database}.t")
    assert rows == [(["one", "two"], [1, 2], "Nested(x Int64, label String, weight Float64)")]


@pytest.mark.parametrize("mode", MODES)
def test_rehearsal_refuses_an_impossible_hand_edit_and_runs_nothing(mode: str, tmp_path: Path,
                                                                    clickhouse_server: RunningServer,
                                                                    sql: Any) -> None:
    database = f"safe_rehearsal_{mode}"
    sql.command(f"DROP DATABASE IF EXISTS {database}")
    url = f"{clickhouse_server.http_url}/{database}"
    base = ('class Row(BaseModel):\n    id: Key[UInt32]\n    v: str\n'
            't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')
    project(tmp_path, database, mode, base)
    migrate_to(tmp_path, url)
    sql.command(f"INSERT INTO {database}.t VALUES (1, 'x')")
    project(tmp_path, database, mode, base.replace("    v: str\n", "    v: str\n    w: str\n"))
    generated = muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
    assert generated.returncode == 0, generated.stderr
    impossible = "ALTER TABLE t MODIFY COLUMN id UInt64"  # a key column: the server refuses
    if mode == "snapshot":
        add_raw_sql(tmp_path, 1, impossible, description="Widen the key by hand")
    else:  # the newest migration file gets a RawSql delta at its end
        path = max((tmp_path / "migrations").glob("*.yaml"), key=lambda p: p.name)
        migration = migration_from_yaml(path.read_text(), str(path), CLICKHOUSE)
        raw = d.RawSql(sql=(impossible,), description="Widen the key by hand")
        path.write_text(migration_to_yaml(attrs.evolve(migration, deltas=(*migration.deltas, raw)), CLICKHOUSE))
    result = muskox(tmp_path, "migrate", "--clickhouse-url", url)
    assert result.returncode == ExitCode.PLAN_INVALID, result.stderr
    assert "ALTER_OF_COLUMN_IS_FORBIDDEN" in result.stderr
    assert "nothing was executed" in result.stderr
    columns = sql.query(f"SELECT name FROM system.columns WHERE database = '{database}' AND table = 't'")
    assert sorted(c[0] for c in columns) == ["id", "v"]  # the planned ADD COLUMN w did not run either
    scratch = sql.query("SELECT name FROM system.databases WHERE name LIKE 'muskox_rehearsal_%'")
    assert scratch == []
    assert muskox(tmp_path, "migrate", "--clickhouse-url", url, "--no-rehearse").returncode == ExitCode.APPLY_FAILED
