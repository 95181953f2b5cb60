"""The records of applied plans (pure logic): ranges, identities and what a list of records says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from muskox.apply import plan_record as pr
from muskox.apply.recorded_run import what_is_left
from muskox.files.plan_yaml import Plan
from muskox.model.operations import DropTable, RawSql
from tests.core.toy_dialect import TOY


@given(st.sets(st.integers(min_value=1, max_value=500)))
def test_ranges_round_trip(numbers: set[int]) -> None:
    text = pr.format_ranges(numbers)
    assert pr.parse_ranges(text) == numbers
    assert len(text.split(",")) <= len(numbers) or not numbers  # runs are folded, never expanded


def test_ranges_fold_runs() -> None:
    assert pr.format_ranges([5, 1, 2, 3, 3, 9, 10]) == "1-3,5,9-10"


@given(done=st.sets(st.integers(min_value=0, max_value=40)), statements=st.sets(st.integers(0, 5)),
       finished=st.booleans())
def test_progress_reads_back_what_was_recorded(done: set[int], statements: set[int], finished: bool) -> None:
    identity = "0123456789abcdef"
    records = ["20250101_000000_other", pr.started_record(identity), pr.done_record(identity, done),
               *(pr.statement_record(identity, 41, s) for s in statements),
               pr.started_record("fedcba9876543210"), pr.applied_record("fedcba9876543210")]
    if finished:
        records.append(pr.applied_record(identity))
    progress = pr.read_progress(records, identity)
    assert progress.started and progress.partial is not finished and progress.applied is finished
    assert progress.operations == frozenset(done)
    assert progress.statements == ({41: frozenset(statements)} if statements else {})
    assert pr.migration_ids(records) == ["20250101_000000_other"]


def test_damaged_records_never_make_a_plan_look_more_finished() -> None:
    identity = "0123456789abcdef"
    records = [pr.started_record(identity), f"plan:{identity}@done:3-1", f"plan:{identity}#x", f"plan:{identity}@?"]
    progress = pr.read_progress(records, identity)
    assert progress.partial and progress.operations == frozenset() and progress.statements == {}


def test_identity_follows_the_content() -> None:
    plan = Plan(created_at="2026-01-01T00:00:00.000000Z", operations=(DropTable(table="t"),))
    same = Plan(created_at="2026-01-01T00:00:00.000000Z", operations=(DropTable(table="t"),))
    later = Plan(created_at="2026-01-01T00:00:00.000001Z", operations=(DropTable(table="t"),))
    assert pr.plan_identity(plan, TOY) == pr.plan_identity(same, TOY) != pr.plan_identity(later, TOY)
    assert len(pr.plan_identity(plan, TOY)) == 16


def test_what_is_left_skips_done_operations_and_run_statements() -> None:
    operations = (DropTable(table="a"), RawSql(sql=("s1", "s2", "s3")), DropTable(table="b"))
    progress = pr.PlanProgress(started=True, operations=frozenset({0}), statements={1: frozenset({0, 1})})
    left = what_is_left(operations, progress)
    assert left.operations == operations[1:]
    assert left.positions == (1, 2)
    assert left.first_statements == (2, 0)
