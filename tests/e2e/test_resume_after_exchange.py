"""``migrate --resume`` after a ``RecreateTableWithCopy`` stopped between its ``EXCHANGE TABLES`` and the final
drop (issue 18): the table is already at its new definition, the old one is left under the copy's name; the
resume recognizes that state (it is where the recreate leaves the table), runs the rest and keeps every row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from muskox.files.plan_yaml import plan_from_yaml
from muskox.model.operations import BUILTIN_OPERATIONS, RecreateTableWithCopy
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.recreate_copy import recreate_with_copy_sql
from tests.e2e.test_migrate import add_raw_sql, muskox
from tests.e2e.test_safe_evolutions import project

BEFORE = ('class Row(BaseModel):\n    id: Key[UInt32]\n    v: str\n'
          't = OlapTable[Row]("t", OlapConfig(order_by_fields=["id"]))\n')


def test_resume_after_the_exchange(tmp_path: Path, clickhouse_server: RunningServer) -> None:
    database = "resume_exchange"
    url = f"{clickhouse_server.http_url}/{database}"
    with connect(parse_url(clickhouse_server.http_url)) as sql:
        sql.command(f"DROP DATABASE IF EXISTS {database}")
        sql.command("DROP DATABASE IF EXISTS resume_exchange_gate")
        sql.command("CREATE DATABASE resume_exchange_gate")
        sql.command("CREATE TABLE resume_exchange_gate.open (x UInt8) ENGINE = MergeTree ORDER BY x")
        project(tmp_path, database, "snapshot", BEFORE)
        for args in (("generate", "migration", "--save", "--yes-all"), ("migrate",)):
            assert muskox(tmp_path, *args, "--clickhouse-url", url).returncode == 0
        sql.command(f"INSERT INTO {database}.t SELECT number, toString(number) FROM numbers(100)")
        project(tmp_path, database, "snapshot", BEFORE.replace("Key[UInt32]", "Key[UInt64]"))
        generated = muskox(tmp_path, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all")
        assert generated.returncode == 0, generated.stderr
        # a gate before the recreate: the first run stops there, with the plan started and nothing done
        add_raw_sql(tmp_path, 0, "SELECT throwIf((SELECT count() FROM resume_exchange_gate.open) = 0)",
                    description="Wait for the gate")
        failed = muskox(tmp_path, "migrate", "--clickhouse-url", url)
        assert failed.returncode == 11, failed.stderr
        plan = plan_from_yaml((tmp_path / "migrations" / "plan.yaml").read_text(), BUILTIN_OPERATIONS, CLICKHOUSE)
        recreate = next(op for op in plan.operations if isinstance(op, RecreateTableWithCopy))
        statements = recreate_with_copy_sql(recreate, database)
        exchange = next(i for i, s in enumerate(statements) if s.startswith("EXCHANGE"))
        for statement in statements[:exchange + 1]:  # a run that died right after the exchange
            sql.command(statement, settings={"flatten_nested": 0})
        sql.command("INSERT INTO resume_exchange_gate.open VALUES (1)")
        resumed = muskox(tmp_path, "migrate", "--clickhouse-url", url, "--resume")
        assert resumed.returncode == 0, resumed.stderr
        rows: Any = sql.query(f"SELECT count(), sum(id), toTypeName(any(id)) FROM {database}.t")
        assert rows == [(100, 4950, "UInt64")]
        left = sql.query(f"SELECT name FROM system.tables WHERE database = '{database}' AND name LIKE '%muskox_copy'")
        assert left == []
        planned = muskox(tmp_path, "plan", "--clickhouse-url", url, "--exit-code")
        assert planned.returncode == 0, planned.stdout + planned.stderr
        sql.command("DROP DATABASE IF EXISTS resume_exchange_gate")
