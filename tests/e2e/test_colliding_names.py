"""Names Moose's keys confuse, on the real server: table ``kc_b``.``c`` beside ``kc``.``b_c`` (both Moose-keyed
``kc_b_c``) and a view ``v`` in each of the two databases; both modes create all four, and the next plan is empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer

MAIN = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable, View, ViewConfig


class Row(BaseModel):
    id: Key[str]
    n: int


left = OlapTable[Row]("c", OlapConfig(order_by_fields=["id"], database="{other}"))
right = OlapTable[Row]("b_c", OlapConfig(order_by_fields=["id"]))
v_main = View("v", ViewConfig(select_statement="SELECT id FROM {db}.b_c", base_tables=[right]))
v_other = View("v", ViewConfig(select_statement="SELECT n FROM {other}.c", base_tables=[left], database="{other}"))
"""


def muskox(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("deltas", [False, True], ids=["snapshot", "delta"])
def test_tables_and_views_moose_keys_alike_are_all_managed(clickhouse_server: RunningServer, tmp_path: Path,
                                                           deltas: bool) -> None:
    db = f"kc{int(deltas)}"
    other = f"{db}_b"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(MAIN.replace("{db}", db).replace("{other}", other))
    (tmp_path / "muskox.toml").write_text(
        f'[clickhouse_config]\ndb_name = "{db}"\nadditional_databases = ["{other}"]\n'
        f'[state_config]\nstorage = "file"\n[features]\nmigrate_with_deltas = {str(deltas).lower()}\n')
    url = f"{clickhouse_server.http_url}/{db}"
    with connect(parse_url(clickhouse_server.http_url)) as admin:
        admin.command(f"CREATE DATABASE IF NOT EXISTS {db}")
        generated = muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
        assert generated.returncode == ExitCode.OK, generated.stderr
        migrated = muskox(tmp_path, "migrate", "--clickhouse-url", url)
        assert migrated.returncode == ExitCode.OK, migrated.stderr
        rows = admin.query(f"SELECT database, name FROM system.tables WHERE database IN ('{db}', '{other}') "
                           "ORDER BY database, name")
        assert [tuple(r) for r in rows] == [(db, "b_c"), (db, "v"), (other, "c"), (other, "v")]
        again = muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code")
        assert again.returncode == ExitCode.OK, again.stdout + again.stderr
