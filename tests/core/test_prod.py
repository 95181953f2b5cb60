"""The pieces of ``muskox prod`` that need no server: the safety gate, the lock wait, re-keying, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from muskox.apply.drift import DriftDetected
from muskox.errors import PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox.plan.planner import PlanRequest, make_plan
from muskox.server.boot import acquire_waiting, destructive_operations, on_database, refusal, startup_failure
from muskox.server.supervise import exit_status
from muskox.state import LockHeld
from muskox.state.file_store import FileStateStore
from muskox_clickhouse.dialect import CLICKHOUSE
from tests.keys import moose_keys


def table(name: str, *columns: str, version: str | None = None, database: str | None = None) -> Table:
    return Table(name=name, columns=tuple(Column(name=c, data_type=Simple("String")) for c in columns),
                 order_by=(columns[0],), version=version, database=database)


def test_the_refusal_lists_every_operation_and_both_remedies() -> None:
    error = refusal(["DROP TABLE db.old", "DROP COLUMN c FROM t"])
    text = error.one_line()
    assert error.exit_code is ExitCode.DESTRUCTIVE_REFUSED
    assert "  - DROP TABLE db.old\n  - DROP COLUMN c FROM t" in text
    assert "muskox generate migration --url URL --token TOKEN --save" in text
    assert "[migration_config] prod_auto_allow_destructive = true" in text
    assert "MUSKOX_MIGRATION_CONFIG__PROD_AUTO_ALLOW_DESTRUCTIVE=true" in text


def test_destructive_operations_include_the_table_a_version_bump_drops() -> None:
    current = InfraMap.of("db", tables=[table("events", "id", "a"), table("gone", "id")])
    target = InfraMap.of("db", tables=[table("events", "id", version="2.0")])
    result = make_plan(PlanRequest(current=current, target=target, gate=False, dialect=CLICKHOUSE))
    found = destructive_operations(result)
    assert "DROP TABLE gone" in found
    assert any(f.startswith("DROP TABLE events (replaced by events_2_0") for f in found), found


def test_no_destructive_operations_in_an_additive_plan() -> None:
    current = InfraMap.of("db", tables=[table("events", "id")])
    target = InfraMap.of("db", tables=[table("events", "id", "a"), table("more", "id")])
    assert destructive_operations(make_plan(PlanRequest(current=current, target=target, gate=False,
                                                        dialect=CLICKHOUSE))) == []


def test_the_lock_is_waited_for_then_reported(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path, dialect=CLICKHOUSE)
    held = store.acquire_lock("other-host:1")
    clock = [0.0]
    said: list[str] = []

    def sleep(seconds: float) -> None:
        clock[0] += seconds
        if clock[0] >= 4:
            held.release()

    with acquire_waiting(store, "me:2", 10, said.append, sleep=sleep, clock=lambda: clock[0]) as lock:
        assert lock.info.owner == "me:2"
    assert len(said) == 1 and "waiting up to 10 s" in said[0]

    store.acquire_lock("other-host:1")
    with pytest.raises(LockHeld, match="waited 3 s for it"):
        acquire_waiting(store, "me:2", 3, said.append, sleep=sleep, clock=lambda: clock[0])


def test_a_map_moves_to_the_servers_database() -> None:
    infra = InfraMap.of("local", tables=[table("t", "id"), table("x", "id", database="other"),
                                         table("y", "id", database="local")],
                        views=[View(name="v", select_sql="SELECT 1", database="local")],
                        materialized_views=[MaterializedView(name="m", select_sql="SELECT 1", target_table="t",
                                                             target_database="local")])
    moved = on_database(infra, "prod")
    assert moved.default_database == "prod"
    assert moose_keys(moved) == ["other_x", "prod_t", "prod_y"]
    assert moved.tables['"prod"."y"'].database is None and moved.tables['"other"."x"'].database == "other"
    assert moved.views['"prod"."v"'].database is None and moved.materialized_views['"prod"."m"'].target_database is None
    assert on_database(infra, "local") is infra


@pytest.mark.parametrize(("error", "words"), [
    (DriftDetected("x"), "(drift detected)"), (PlanInvalid("x"), "(plan mismatch)"),
    (refusal(["DROP TABLE t"]), "(destructive changes"), (LockHeld(None), "lock stayed held"),
])
def test_every_failure_says_the_server_did_not_start(error: Exception, words: str) -> None:
    assert words in startup_failure(error)  # type: ignore[arg-type]


def test_exit_status_follows_the_shell() -> None:
    assert exit_status(0) == 0 and exit_status(3) == 3 and exit_status(-15) == 143
