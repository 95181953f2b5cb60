"""The rehearsal's scratch databases (issue 18): ``Memory`` ones unless the plan exchanges tables, a refused
statement reported with nothing run, and ``dev``'s cheap rehearsal of a cycle (create-only plans skipped)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from muskox.apply.rehearsal import RehearsalFailed
from muskox.dev.rehearsal import needs_rehearsal, rehearse_cycle
from muskox.model.infra_map import InfraMap, table_id
from muskox.model.operations import AddTableColumn, CreateTable, ModifyTableColumn, Operation, RecreateTableWithCopy
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox_clickhouse.backend import ClickHouseBackend
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.rehearse import scratch_engine, wait_for_cleanup
from muskox_clickhouse.url import parse_url

DATABASE = "rehearsal_scratch"
TABLE = Table(name="t", columns=(Column(name="id", data_type=Simple("UInt32")),
                                 Column(name="v", data_type=Simple("String"))), order_by=("id",), database=DATABASE)
CURRENT = InfraMap(default_database=DATABASE, tables={table_id(TABLE, DATABASE): TABLE})


@pytest.fixture
def backend(clickhouse_server: RunningServer) -> Iterator[ClickHouseBackend]:
    made = ClickHouseBackend(parse_url(f"{clickhouse_server.http_url}/{DATABASE}"))
    made.client.command(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    yield made
    made.client.command(f"DROP DATABASE IF EXISTS {DATABASE}")
    made.close()


def widen_key() -> Operation:
    return ModifyTableColumn(table="t", database=DATABASE, before_column=TABLE.columns[0],
                             after_column=Column(name="id", data_type=Simple("UInt64")))


def test_scratch_engine() -> None:
    add = AddTableColumn(table="t", database=DATABASE, column=Column(name="w", data_type=Simple("String")))
    assert scratch_engine([add]) == "Memory"
    assert scratch_engine([add, RecreateTableWithCopy(before=TABLE, table=TABLE, reason="test")]) == "Atomic"


def test_refused_statement_and_scratch_dropped(backend: ClickHouseBackend) -> None:
    add = AddTableColumn(table="t", database=DATABASE, column=Column(name="w", data_type=Simple("String")))
    assert backend.rehearse([add], CURRENT) == []
    problems = backend.rehearse([add, widen_key()], CURRENT)
    assert len(problems) == 1 and "ALTER_OF_COLUMN_IS_FORBIDDEN" in problems[0]
    wait_for_cleanup()  # the scratch databases are dropped in the background, after the answer
    left = backend.client.query("SELECT name FROM system.databases WHERE name LIKE 'muskox_rehearsal_%'")
    assert left == []


def test_recreate_with_copy_rehearsed_in_an_atomic_scratch(backend: ClickHouseBackend) -> None:
    wider = Table(name="t", columns=(Column(name="id", data_type=Simple("UInt64")), TABLE.columns[1]),
                  order_by=("id",), database=DATABASE)
    assert backend.rehearse([RecreateTableWithCopy(before=TABLE, table=wider, reason="key type")], CURRENT) == []


def test_dev_rehearses_a_cycle_cheaply(backend: ClickHouseBackend) -> None:
    created = Table(name="n", columns=TABLE.columns, order_by=("id",), database=DATABASE)
    assert not needs_rehearsal([CreateTable(table=created)])
    assert needs_rehearsal([widen_key()])
    rehearse_cycle(backend, [CreateTable(table=created)], CURRENT)  # not rehearsed: nothing to refuse first
    with pytest.raises(RehearsalFailed) as refused:
        rehearse_cycle(backend, [widen_key()], CURRENT)
    assert "ALTER_OF_COLUMN_IS_FORBIDDEN" in str(refused.value.problems)
    tables = backend.client.query(f"SELECT name FROM system.tables WHERE database = '{DATABASE}'")
    assert tables == []  # the rehearsal ran nothing on the real database

