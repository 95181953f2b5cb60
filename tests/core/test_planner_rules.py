"""Planner rules, case by case (spec sections 6-8): ALTER vs recreate, lifecycle, renames, gates, bumps, order."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from muskox.model import Column, InfraMap, LifeCycle, MaterializedView, Table, TableIndex, View
from muskox.model.engines import ReplacingMergeTree
from muskox.model.operations import (
    AddTableColumn,
    CreateMaterializedView,
    CreateTable,
    DropMaterializedView,
    DropTable,
    DropTableColumn,
    ModifyTableColumn,
    ModifyTableSettings,
    ModifyTableTtl,
    RawSql,
    RenameTableColumn,
)
from muskox.model.types import Array, DateTime, Simple
from muskox.plan.changes import Blocked
from muskox.plan.differ import DatabaseMoveError
from muskox.plan.planner import PlanRequest, PlanResult, make_plan
from muskox.plan.policies.approvals import ApprovalRequired, Approvals
from muskox.plan.policies.destructive import Finding
from muskox.plan.policies.renames import RenameProposal
from muskox.plan.policies.version_bumps import BumpDecision, VersionBump
from muskox_clickhouse.dialect import CLICKHOUSE

DB = "db"
YES = Approvals(yes_all=True, yes_destructive=True, yes_rename=True)
ID = Column(name="id", data_type=Simple("UInt64"))
TS = Column(name="ts", data_type=DateTime())
NAME = Column(name="name", data_type=Simple("String"))


def table(name: str = "events", *columns: Column, **options: object) -> Table:
    options.setdefault("order_by", ("id",))
    return Table(name=name, columns=columns or (ID, TS, NAME), **options)  # type: ignore[arg-type]


def plan(before: Sequence[object], after: Sequence[object], approvals: Approvals = YES, **kw: object) -> PlanResult:
    def infra(items: Sequence[object]) -> InfraMap:
        return InfraMap.of(DB, tables=[i for i in items if isinstance(i, Table)],
                           views=[i for i in items if isinstance(i, View)],
                           materialized_views=[i for i in items if isinstance(i, MaterializedView)])

    return make_plan(PlanRequest(current=infra(before), target=infra(after), approvals=approvals, **kw,
                                 dialect=CLICKHOUSE))  # type: ignore[arg-type]


def ops(result: PlanResult) -> list[str]:
    return [type(op).__name__ for op in result.operations]


@pytest.mark.parametrize(("change", "reason"), [
    ({"order_by": ("id", "ts")}, "ORDER BY changed"),
    ({"partition_by": "toYYYYMM(ts)"}, "PARTITION BY changed"),
    ({"primary_key_expression": "id", "order_by": ("id", "ts")}, "ORDER BY changed"),
    ({"engine": ReplacingMergeTree(ver="ts")}, "engine changed"),
    ({"settings": {"index_granularity": "1024"}}, "read-only setting(s) changed: index_granularity"),
])
def test_structural_changes_recreate_the_table(change: dict[str, object], reason: str) -> None:
    result = plan([table()], [attrs.evolve(table(), **change)])
    assert ops(result) == ["RecreateTableWithCopy"]  # a MergeTree table keeps its rows (issue 18)
    assert reason in result.destructive[0].description
    assert result.destructive[0].description.startswith("RECREATE TABLE events WITH A COPY OF ITS ROWS")


def test_column_add_goes_after_its_predecessor_and_drop_is_destructive() -> None:
    extra = Column(name="country", data_type=Simple("Int32"), nullable=True)
    result = plan([table("events", ID, TS, NAME)], [table("events", ID, extra, TS)])
    assert result.operations == (
        DropTableColumn(table="events", column_name="name"),
        AddTableColumn(table="events", column=extra, after_column="id"),
    )
    assert [f.description for f in result.destructive] == ["DROP COLUMN name FROM events"]


def test_first_position_is_after_none() -> None:
    first = Column(name="a", data_type=Simple("UInt8"))
    result = plan([table()], [table("events", first, ID, TS, NAME)])
    assert result.operations == (AddTableColumn(table="events", column=first, after_column=None),)


def test_settings_ttl_index_changes_are_alters_and_a_changed_index_is_drop_plus_add() -> None:
    old_index = TableIndex(name="i", expression="id", type="minmax")
    new_index = attrs.evolve(old_index, granularity=4)
    before = table(indexes=(old_index,))
    after = table(indexes=(new_index,), ttl="ts + INTERVAL 1 DAY", settings={"merge_with_ttl_timeout": "60"})
    result = plan([before], [after])
    assert ops(result) == ["DropTableIndex", "ModifyTableTtl", "ModifyTableSettings", "AddTableIndex"]
    assert result.operations[1] == ModifyTableTtl(table="events", before=None, after="ts + INTERVAL 1 DAY")
    assert result.operations[2] == ModifyTableSettings(table="events", before_settings=None,
                                                       after_settings={"merge_with_ttl_timeout": "60"})
    assert result.destructive == ()


def test_equivalent_spellings_do_not_change_anything() -> None:
    before = table(ttl="ts + toIntervalDay(30)", settings={"index_granularity": "8192"})
    after = table(ttl="ts + INTERVAL 30 DAY")
    assert plan([before], [after]).empty


def test_type_change_is_a_modify_and_narrowing_is_risky() -> None:
    wide = Column(name="n", data_type=Simple("Int64"))
    narrow = Column(name="n", data_type=Simple("Int32"))
    result = plan([table("t", ID, wide)], [table("t", ID, narrow)])
    assert result.operations == (ModifyTableColumn(table="t", before_column=wide, after_column=narrow),)
    assert "may fail or truncate" in result.risky[0].description
    assert plan([table("t", ID, narrow)], [table("t", ID, wide)]).risky == ()
    nullable = attrs.evolve(wide, nullable=True)
    assert "Nullable to not Nullable" in plan([table("t", ID, nullable)], [table("t", ID, wide)]).risky[0].description


def test_database_move_is_an_error_with_the_manual_procedure() -> None:
    with pytest.raises(DatabaseMoveError, match="moved from database 'db' to 'other'") as info:
        plan([table()], [table(database="other")])
    assert "INSERT INTO `other`.`events` SELECT * FROM `db`.`events`" in str(info.value)


def test_views_and_materialized_views_are_ordered_around_their_tables() -> None:
    source, target = table("src"), table("dst")
    mv = MaterializedView(name="mv", select_sql="SELECT id FROM src", target_table="dst", source_tables=("`src`",))
    view = View(name="v", select_sql="SELECT * FROM mvv", source_tables=("vv",))
    inner = View(name="vv", select_sql="SELECT id FROM src", source_tables=("src",))
    created = plan([], [view, mv, target, source, inner])
    assert ops(created) == ["CreateTable", "CreateTable", "CreateView", "CreateView", "CreateMaterializedView"]
    assert [op.subject()[1] for op in created.operations][2:] == ["vv", "v", "mv"]
    dropped = plan([view, mv, target, source, inner], [])
    assert ops(dropped)[:3] == ["DropMaterializedView", "DropView", "DropView"]
    assert [op.subject()[1] for op in dropped.operations][1:3] == ["v", "vv"]
    changed = plan([source, target, mv], [source, target, attrs.evolve(mv, select_sql="SELECT id + 1 FROM src")])
    assert changed.operations == (DropMaterializedView(name="mv"), CreateMaterializedView(
        name="mv", select_sql="SELECT id + 1 FROM src", target_table="dst"))
    assert changed.destructive[0].description.startswith("DROP + RECREATE MATERIALIZED VIEW mv")


# -- lifecycle ---------------------------------------------------------------------------------------------

PROTECTED, EXTERNAL = LifeCycle.DELETION_PROTECTED, LifeCycle.EXTERNALLY_MANAGED


def reasons(blocked: Sequence[Blocked]) -> list[str]:
    return [b.reason for b in blocked]


def test_protected_table_is_not_dropped_and_its_column_drops_are_blocked() -> None:
    assert reasons(plan([table(life_cycle=PROTECTED)], []).blocked) == [
        "Table 'events' is DELETION_PROTECTED - DROP blocked"]
    extra = Column(name="extra", data_type=Simple("UInt8"))
    result = plan([table(life_cycle=PROTECTED)], [table("events", ID, TS, extra, life_cycle=PROTECTED)])
    assert ops(result) == ["AddTableColumn"]
    assert reasons(result.blocked) == ["Table 'events' is DELETION_PROTECTED - 1 column drop(s) blocked: name"]


def test_protected_recreate_is_blocked_whole() -> None:
    result = plan([table(life_cycle=PROTECTED)], [table(order_by=("id", "ts"), life_cycle=PROTECTED)])
    assert result.empty
    assert "CREATE blocked because the corresponding DROP was blocked" in result.blocked[0].reason


def test_switching_to_protected_protects_in_the_same_deploy() -> None:
    result = plan([table()], [table("events", ID, TS, life_cycle=PROTECTED)])
    assert result.empty and "column drop(s) blocked: name" in result.blocked[0].reason


def test_externally_managed_tables_are_never_created_altered_or_dropped() -> None:
    assert reasons(plan([], [table(life_cycle=EXTERNAL)]).blocked) == [
        "Table 'events' is EXTERNALLY_MANAGED - CREATE blocked"]
    assert plan([table(life_cycle=EXTERNAL)], [table("events", ID, life_cycle=EXTERNAL)]).empty
    assert plan([table(life_cycle=EXTERNAL)], []).empty


def test_protected_materialized_view_change_is_blocked() -> None:
    mv = MaterializedView(name="mv", select_sql="SELECT 1", target_table="t", life_cycle=PROTECTED)
    result = plan([mv], [attrs.evolve(mv, select_sql="SELECT 2")])
    assert result.empty and "DELETION_PROTECTED - DROP blocked" in result.blocked[0].reason


# -- renames and gates -------------------------------------------------------------------------------------

FULL_NAME = Column(name="full_name", data_type=Simple("String"))


class Scripted:
    def __init__(self, rename: str = "y", destructive: bool = True) -> None:
        self.rename, self.destructive, self.asked = rename, destructive, []  # type: ignore[var-annotated]

    def confirm_rename(self, proposal: RenameProposal, index: int, count: int) -> str:
        self.asked.append(("rename", proposal.before.name, proposal.after.name, index, count))
        return self.rename

    def confirm_destructive(self, findings: Sequence[Finding]) -> bool:
        self.asked.append(("destructive", tuple(f.description for f in findings)))
        return self.destructive

    def decide_bump(self, bump: VersionBump, problem: str | None) -> BumpDecision:
        self.asked.append(("bump", bump.old.name, bump.new.name, problem))
        return BumpDecision(backfill=problem is None, retain_old=True)


def test_detected_rename_becomes_a_rename_with_yes_rename() -> None:
    result = plan([table()], [table("events", ID, TS, FULL_NAME)], Approvals(yes_rename=True))
    assert result.operations == (RenameTableColumn(table="events", before_column_name="name",
                                                   after_column_name="full_name"),)


def test_rename_on_a_protected_table_is_not_lost() -> None:
    """Moose 0.6.533 planned nothing here (the fixture's users table); muskox plans the rename."""
    result = plan([table(life_cycle=PROTECTED)], [table("events", ID, TS, FULL_NAME, life_cycle=PROTECTED)],
                  Approvals(yes_rename=True))
    assert ops(result) == ["RenameTableColumn"]


def test_rename_without_a_terminal_or_override_is_an_error_naming_it() -> None:
    with pytest.raises(ApprovalRequired, match=r"1 detected column rename\(s\) \(events.name → full_name\)") as info:
        plan([table()], [table("events", ID, TS, FULL_NAME)], Approvals())
    assert "--yes-rename" in str(info.value)


@pytest.mark.parametrize(("answer", "expected"), [("y", ["RenameTableColumn"]),
                                                  ("n", ["DropTableColumn", "AddTableColumn"])])
def test_rename_prompt_answers(answer: str, expected: list[str]) -> None:
    prompter = Scripted(rename=answer)
    request = PlanRequest(current=InfraMap.of(DB, [table()]),
                          target=InfraMap.of(DB, [table("events", ID, TS, FULL_NAME)]), interactive=True,
                          dialect=CLICKHOUSE)
    result = make_plan(request, prompter)  # type: ignore[arg-type]
    assert ops(result) == expected
    assert prompter.asked[0] == ("rename", "name", "full_name", 1, 1)
    assert all(kind != "destructive" for kind, *_ in prompter.asked)  # "n" already approved the drop


def test_rename_prompt_cancel_aborts() -> None:
    with pytest.raises(ApprovalRequired, match="cancelled during rename confirmation"):
        make_plan(PlanRequest(current=InfraMap.of(DB, [table()]),
                              target=InfraMap.of(DB, [table("events", ID, TS, FULL_NAME)]), interactive=True,
                              dialect=CLICKHOUSE),
                  Scripted(rename="c"))  # type: ignore[arg-type]


def test_destructive_gate_refuses_without_approval_and_suggests_a_version() -> None:
    with pytest.raises(ApprovalRequired) as info:
        plan([table()], [table(order_by=("id", "ts"))], Approvals())
    message = str(info.value)
    assert "1 destructive operation(s): RECREATE TABLE events WITH A COPY OF ITS ROWS (ORDER BY changed)" in message
    assert "--yes-destructive" in message and 'events → version "0.1"' in message


def test_destructive_gate_asks_at_a_terminal() -> None:
    prompter = Scripted(destructive=False)
    with pytest.raises(ApprovalRequired):
        make_plan(PlanRequest(current=InfraMap.of(DB, [table()]), target=InfraMap.of(DB, []), interactive=True,
                              dialect=CLICKHOUSE),
                  prompter)  # type: ignore[arg-type]
    assert prompter.asked == [("destructive", ("DROP TABLE events",))]
    yes = make_plan(PlanRequest(current=InfraMap.of(DB, [table()]), target=InfraMap.of(DB, []), interactive=True,
                                dialect=CLICKHOUSE),
                    Scripted(destructive=True))  # type: ignore[arg-type]
    assert yes.operations == (DropTable(table="events"),)


def test_preview_without_gate_never_asks() -> None:
    result = make_plan(PlanRequest(current=InfraMap.of(DB, [table()]), target=InfraMap.of(DB, []), gate=False,
                                   dialect=CLICKHOUSE))
    assert result.operations == (DropTable(table="events"),) and len(result.destructive) == 1


def test_approvals_from_environment() -> None:
    env = {"MUSKOX_ACCEPT_DESTRUCTIVE": "1", "MOOSE_ACCEPT_RENAME": "true"}
    approvals = Approvals.from_flags(yes_all=False, yes_destructive=False, yes_rename=False,
                                     no_auto_backfill_sql=False, env=env)
    assert (approvals.yes_destructive, approvals.yes_rename, approvals.yes_all) == (True, True, False)
    every = Approvals.from_flags(yes_all=False, yes_destructive=False, yes_rename=False, no_auto_backfill_sql=True,
                                 env={"MUSKOX_ACCEPT_ALL": "yes"})
    assert every.yes_destructive and every.yes_rename and not every.auto_backfill_sql


# -- version bumps -----------------------------------------------------------------------------------------


def versioned(version: str | None, *columns: Column) -> Table:
    suffix = "" if version is None else "_" + version.replace(".", "_")
    return table(f"events{suffix}", *columns, version=version)


def test_in_place_bump_creates_backfills_then_drops_the_old_table() -> None:
    result = plan([versioned("1.0")], [versioned("2.0")])
    assert ops(result) == ["CreateTable", "RawSql", "DropTable"]
    backfill = result.operations[1]
    assert isinstance(backfill, RawSql)
    assert backfill.sql == ("INSERT INTO `db`.`events_2_0` (`id`, `ts`, `name`) SELECT `id`, `ts`, `name` "
                            "FROM `db`.`events_1_0`",)
    assert backfill.description == "Backfill events_2_0 from events_1_0"


def test_bump_with_different_columns_is_not_backfilled() -> None:
    result = plan([versioned(None)], [versioned("1.0", ID, TS)])
    assert ops(result) == ["CreateTable", "DropTable"]


def test_no_auto_backfill_sql_drops_the_backfill() -> None:
    approvals = Approvals(yes_all=True, yes_destructive=True, yes_rename=True, auto_backfill_sql=False)
    assert ops(plan([versioned("1.0")], [versioned("2.0")], approvals)) == ["CreateTable", "DropTable"]


def test_bump_decisions_are_asked_and_required() -> None:
    prompter = Scripted()
    result = make_plan(PlanRequest(current=InfraMap.of(DB, [versioned("1.0")]),
                                   target=InfraMap.of(DB, [versioned("2.0")]), interactive=True, dialect=CLICKHOUSE),
                       prompter)  # type: ignore[arg-type]
    assert ops(result) == ["CreateTable", "RawSql"]  # the old table is kept
    assert prompter.asked == [("bump", "events_1_0", "events_2_0", None)]
    with pytest.raises(ApprovalRequired, match=r"moves from version 1\.0 to 2\.0"):
        plan([versioned("1.0")], [versioned("2.0")], Approvals())


def test_alongside_bump_keeps_the_old_table() -> None:
    result = plan([versioned("1.0")], [versioned("1.0"), versioned("2.0")])
    assert ops(result) == ["CreateTable", "RawSql"]
    assert isinstance(result.operations[0], CreateTable) and result.operations[0].table.name == "events_2_0"



def test_a_type_clickhouse_cannot_convert_is_dropped_and_added_again() -> None:
    tags = Column(name="tags", data_type=Array(Simple("String")))
    flag = Column(name="tags", data_type=Simple("Bool"))
    result = plan([table("t", ID, tags)], [table("t", ID, flag)])
    assert result.operations == (DropTableColumn(table="t", column_name="tags"),
                                 AddTableColumn(table="t", column=flag, after_column="id"))
    assert [f.description for f in result.destructive] == ["DROP COLUMN tags FROM t"]
    widened = Column(name="tags", data_type=Array(Simple("Int64")))
    assert ops(plan([table("t", ID, tags)], [table("t", ID, widened)])) == ["ModifyTableColumn"]
