"""Resuming a plan whose ``RecreateTableWithCopy`` stopped after its ``EXCHANGE TABLES``.

The operation swaps the new table in and then drops the old one (now under the copy's name). A run that stops
between the two (killed, the drop refused, the connection lost) leaves the table *already at its new
definition* while the operation is not recorded as done, so the database is not where the recorded operations
leave it. That state is recognizable: it is where the recorded operations *and* the recreate leave it.
``--resume`` then runs the recreate again, which is safe from there: it drops what is left under the copy's name
(the old table), copies the new table into a fresh copy (the conversions are the identity), checks the row
counts, swaps and drops — the rows are those of the new table, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from muskox.apply.drift import drift_report, same_state
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation, RecreateTableWithCopy
from muskox.plan.fold import fold
from muskox.plugin.dialect import Dialect

__all__ = ["expected_after"]


def expected_after(operations: Sequence[Operation], done: Collection[int], remote_state: InfraMap,
                   current: InfraMap, dialect: Dialect, ignore: Collection[str] = ()) -> InfraMap:
    """Where the operations at positions ``done`` (0-based) leave ``remote_state``, counting as done too each
    unrecorded ``RecreateTableWithCopy`` whose table the database already has at its new definition (see the
    module). The caller compares the result with ``current``, as for any resume."""
    chosen = set(done)

    def folded(positions: set[int]) -> InfraMap:
        return fold(remote_state, [operations[index] for index in sorted(positions)])

    expected = folded(chosen)
    if same_state(current, expected, dialect, ignore):
        return expected
    left = len(drift_report(expected, current, dialect, ignore))
    for index, operation in enumerate(operations):
        if index in chosen or not isinstance(operation, RecreateTableWithCopy):
            continue
        candidate = folded(chosen | {index})
        differences = len(drift_report(candidate, current, dialect, ignore))
        if differences < left:  # the table is at the recreate's definition: it was exchanged
            chosen.add(index)
            expected, left = candidate, differences
    return expected
