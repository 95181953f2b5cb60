"""Planner properties: applying the plan of A → B to A gives B, and planning again finds nothing to do."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.model.infra_map import InfraMap
from muskox.plan.differ import DiffOptions, NormalizedTables, diff
from muskox.plan.fold import fold
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox.testing.strategies import schema_pairs
from muskox_clickhouse.dialect import CLICKHOUSE

YES = Approvals(yes_all=True, yes_destructive=True, yes_rename=True)


def _shape(infra: InfraMap) -> dict[str, object]:
    """Tables normalized, columns as a set (the differ leaves column order alone)."""
    shapes: dict[str, object] = {}
    for key, table in infra.tables.items():
        normal = CLICKHOUSE.normalize_table(table, default_database=infra.default_database)
        shapes[key] = (frozenset(normal.columns), normal.__class__(name=normal.name, columns=()), normal.engine,
                       normal.order_by, normal.partition_by, normal.ttl, tuple(sorted(normal.settings.items())),
                       frozenset(normal.indexes), frozenset(normal.projections), normal.sample_by)
    return shapes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_pairs())
def test_plan_applied_to_a_gives_b_and_replanning_is_empty(pair: tuple[InfraMap, InfraMap]) -> None:
    before, after = pair
    plan = make_plan(PlanRequest(current=before, target=after, approvals=YES, dialect=CLICKHOUSE))
    applied = fold(before, plan.operations)
    assert _shape(applied) == _shape(after)
    assert make_plan(PlanRequest(current=applied, target=after, approvals=YES, dialect=CLICKHOUSE)).empty


@settings(max_examples=50, deadline=None)
@given(schema_pairs())
def test_plans_are_deterministic(pair: tuple[InfraMap, InfraMap]) -> None:
    before, after = pair
    first = make_plan(PlanRequest(current=before, target=after, approvals=YES, dialect=CLICKHOUSE))
    second = make_plan(PlanRequest(current=before, target=after, approvals=YES, dialect=CLICKHOUSE))
    assert first.operations == second.operations


@settings(max_examples=80, deadline=None)
@given(schema_pairs(), st.sampled_from([frozenset(), frozenset({"ModifyTableTtl", "ModifyPartitionBy"})]))
def test_tables_normalized_ahead_change_no_diff(pair: tuple[InfraMap, InfraMap], ignored: frozenset[str]) -> None:
    """What ``gather`` normalizes while it waits for the server gives the diff it would find without it; a cache
    made for other options is not used."""
    before, after = pair
    plain = diff(before, after, CLICKHOUSE, DiffOptions(ignored))
    ahead = NormalizedTables(CLICKHOUSE, after.default_database, ignored)
    for table in after.tables.values():
        ahead(table)
    assert diff(before, after, CLICKHOUSE, DiffOptions(ignored, normalized=ahead)) == plain
    other = NormalizedTables(CLICKHOUSE, after.default_database, frozenset({"ModifyTableTtl"}) - ignored)
    for table in after.tables.values():
        other(table)
    assert diff(before, after, CLICKHOUSE, DiffOptions(ignored, normalized=other)) == plain
