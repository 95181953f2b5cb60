"""The three-way drift check compares what the differ compares."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from muskox.apply.drift import DriftOutcome, check_drift, same_state
from muskox.model.infra_map import InfraMap
from muskox.plan.differ import diff
from muskox.testing.strategies import tables
from muskox_clickhouse.dialect import CLICKHOUSE


@given(table=tables(), data=st.data())
def test_column_order_alone_is_no_difference_for_drift_as_for_the_differ(table, data) -> None:  # type: ignore[no-untyped-def]
    shuffled = attrs.evolve(table, columns=tuple(data.draw(st.permutations(table.columns))))
    before, after = InfraMap.of("db", [table]), InfraMap.of("db", [shuffled])
    assert diff(before, after, CLICKHOUSE) == []
    assert same_state(before, after, CLICKHOUSE)
    assert check_drift(after, before, before, CLICKHOUSE) is DriftOutcome.NO_DRIFT


@given(table=tables())
def test_a_changed_column_is_drift(table) -> None:  # type: ignore[no-untyped-def]
    first = table.columns[0]
    changed = attrs.evolve(table, columns=(attrs.evolve(first, comment=(first.comment or "") + "x"),
                                           *table.columns[1:]))
    before, after = InfraMap.of("db", [table]), InfraMap.of("db", [changed])
    assert not same_state(before, after, CLICKHOUSE)
    assert check_drift(after, before, before, CLICKHOUSE) is DriftOutcome.DRIFT
