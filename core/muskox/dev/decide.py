"""What a ``muskox dev`` cycle may apply: the planner's decisions, and what is held back when nobody approved.

The plan is made as ``generate migration`` makes it: renames and destructive operations are asked about at a
terminal, or approved up front by ``--yes-rename``/``--yes-destructive``/``--yes-all``. When a decision is
missing (no terminal and no flag, or the person said no), ``dev`` does not stop: it applies everything else and
holds back every change to the objects concerned — an object with a destructive operation (a drop, a recreate),
or a table with an unapproved rename (which must not silently become a drop and an add) — with one message
each. The next save asks again.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from muskox.model.operations import Operation
from muskox.plan.changes import Added, Change, Recreated, Removed
from muskox.plan.differ import DiffOptions, diff
from muskox.plan.planner import PlanRequest, PlanResult, make_plan
from muskox.plan.policies.approvals import ApprovalRequired, Prompter
from muskox.plan.policies.renames import RenameProposal, detect_renames


@attrs.frozen
class Decision:
    """The plan a cycle applies, and one message per object held back (empty when nothing was)."""

    result: PlanResult
    held: tuple[str, ...] = ()


def change_subject(change: Change) -> str:
    """The name of the object a change is about (as operations name their subject)."""
    if isinstance(change, Added):
        return change.after.name
    if isinstance(change, Removed | Recreated):
        return change.before.name
    return change.after.name


def decide(request: PlanRequest, prompter: Prompter | None) -> Decision:
    """Plan ``request`` (asking ``prompter`` when ``request.interactive``); on a missing approval, plan again
    without the gate and hold back what needed it (see the module)."""
    try:
        return Decision(make_plan(request, prompter))
    except ApprovalRequired:
        pass
    loose = make_plan(attrs.evolve(request, gate=False))
    renames = [] if request.approvals.yes_rename else detect_renames(
        diff(request.current, request.target, request.dialect, DiffOptions(request.ignore_operations)))
    held = _held(loose.operations, renames, allow_destructive=request.approvals.yes_destructive)
    result = attrs.evolve(
        loose,
        operations=tuple(op for op in loose.operations if op.subject()[1] not in held),
        changes=tuple(change for change in loose.changes if change_subject(change) not in held),
    )
    return Decision(result, tuple(held.values()))


def _held(operations: Sequence[Operation], renames: Sequence[RenameProposal], *,
          allow_destructive: bool) -> dict[str, str]:
    """Object name → why its changes are held back."""
    held: dict[str, str] = {}
    for proposal in renames:
        held.setdefault(proposal.table, f"'{proposal.table}': column '{proposal.before.name}' looks renamed to "
                                        f"'{proposal.after.name}' - approve the rename at a terminal or restart "
                                        f"with --yes-rename")
    if not allow_destructive:
        reasons: dict[str, list[str]] = {}
        for operation in operations:
            name = operation.subject()[1]
            if operation.destructive and name not in held:
                reasons.setdefault(name, []).append(operation.describe())
        for name, described in reasons.items():
            held[name] = (f"'{name}': {'; '.join(described)} (destructive) - approve it at a terminal or restart "
                          f"with --yes-destructive")
    return held
