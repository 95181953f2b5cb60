"""The quickstart example project (used by scripts/demo) declares what the README says it does."""

from __future__ import annotations

from pathlib import Path

from muskox.declare.collect import collect_project
from muskox.model import LifeCycle

EXAMPLE = Path(__file__).parents[2] / "examples" / "quickstart"


def test_the_example_project_collects() -> None:
    infra = collect_project(EXAMPLE, default_database="quickstart")
    assert sorted(t.name for t in infra.tables.values()) == ["events", "kind_counts", "users"]
    assert list(infra.views) == ["big_events"]
    assert list(infra.materialized_views) == ["events_to_kind_counts"]
    users = next(t for t in infra.tables.values() if t.name == "users")
    assert users.life_cycle is LifeCycle.DELETION_PROTECTED
