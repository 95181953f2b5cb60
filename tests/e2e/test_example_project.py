"""The quickstart example project (used by scripts/demo) declares what the README says it does."""

from __future__ import annotations

from pathlib import Path

from muskox.declare.collect import collect_project
from muskox.model import LifeCycle

EXAMPLE = Path(__file__).parents[2] / "examples" / "quickstart"


def test_the_example_project_collects() -> None:
    infra = collect_project(EXAMPLE, default_database="quickstart")
    assert sorted(t.name for t in infra.tables.values()) == ["events", "kind_counts", "users"]
    assert [v.name for v in infra.views.values()] == ["big_events"]
    assert [m.name for m in infra.materialized_views.values()] == ["events_to_kind_counts"]
    users = next(t for t in infra.tables.values() if t.name == "users")
    assert users.life_cycle is LifeCycle.DELETION_PROTECTED
