"""The planner: current and target state in, an ordered, policy-checked list of operations out.

    diff → rename decisions → version bumps → lifecycle → destructive gate → lower → order

Every step is a function of attrs values; decisions a person must make come through a
:class:`~muskox.plan.policies.approvals.Prompter` (or the ``--yes-*`` overrides), never from globals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs

from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation
from muskox.model.table import LifeCycle, Table
from muskox.plan.changes import Added, Blocked, Change, Removed
from muskox.plan.differ import DiffOptions, NormalizedTables, diff
from muskox.plan.lowering import Lowered, lower
from muskox.plan.ordering import order
from muskox.plan.policies.approvals import ApprovalRequired, Approvals, Prompter
from muskox.plan.policies.destructive import Finding, destructive_findings, risky_findings
from muskox.plan.policies.lifecycle import apply_lifecycle
from muskox.plan.policies.renames import RenameProposal, apply_renames, detect_renames
from muskox.plan.policies.version_bumps import (
    BumpDecision,
    VersionBump,
    backfill_problem,
    bump_operations,
    detect_bumps,
    next_version,
)
from muskox.plugin.dialect import Dialect
from muskox.plugin.kinds import plan_extensions

log = logging.getLogger("muskox.plan.planner")


@attrs.frozen
class PlanRequest:
    """What to plan and how: ``gate`` False for read-only previews (``muskox plan``); ``dialect`` is the OLAP
    backend's, through which tables are compared."""

    current: InfraMap
    target: InfraMap
    dialect: Dialect
    ignore_operations: frozenset[str] = frozenset()
    approvals: Approvals = Approvals()
    interactive: bool = False
    gate: bool = True
    normalized: NormalizedTables | None = attrs.field(default=None, eq=False)
    """Tables already normalized (:attr:`muskox.plan.workspace.PlanningInputs.normalized`), if any."""


@attrs.frozen
class PlanResult:
    """The ordered operations and everything a reviewer should see about them."""

    operations: tuple[Operation, ...]
    changes: tuple[Change, ...]
    blocked: tuple[Blocked, ...]
    destructive: tuple[Finding, ...]
    risky: tuple[Finding, ...]
    renames: tuple[RenameProposal, ...]
    bumps: tuple[tuple[VersionBump, BumpDecision], ...]
    auto_approved: bool = False

    @property
    def empty(self) -> bool:
        """True when there is nothing to apply."""
        return not self.operations


class _NoPrompter:
    def confirm_rename(self, proposal: RenameProposal, index: int, count: int) -> str:
        raise AssertionError("not interactive")

    def confirm_destructive(self, findings: Sequence[Finding]) -> bool:
        raise AssertionError("not interactive")

    def decide_bump(self, bump: VersionBump, problem: str | None) -> BumpDecision:
        raise AssertionError("not interactive")


def make_plan(request: PlanRequest, prompter: Prompter | None = None) -> PlanResult:
    """Plan ``current`` → ``target`` (spec sections 6-8)."""
    ask: Prompter = prompter if (prompter is not None and request.interactive) else _NoPrompter()  # type: ignore[assignment]
    changes = diff(request.current, request.target, request.dialect,
                   DiffOptions(ignore_operations=request.ignore_operations, normalized=request.normalized))

    accepted, approved_drops = _decide_renames(detect_renames(changes), request, ask)
    changes = apply_renames(changes, accepted)

    bumps = _decide_bumps(detect_bumps(changes, request.current), request, ask)
    bump_keys = {b.new_key for b, _ in bumps} | {b.old_key for b, _ in bumps if b.in_place}
    changes = [c for c in changes if not (isinstance(c, Added | Removed) and c.key in bump_keys)]

    allowed, blocked = apply_lifecycle(changes)
    bump_setup: list[Operation] = []
    bump_cleanup: list[Operation] = []
    for bump, decision in bumps:
        if bump.in_place and not decision.retain_old and bump.old.life_cycle is not LifeCycle.FULLY_MANAGED:
            blocked.append(Blocked(Removed("table", bump.old_key, bump.old),
                                   f"Table '{bump.old.name}' is {bump.old.life_cycle.value} - DROP after the "
                                   f"version bump blocked; the old table is kept"))
            decision = attrs.evolve(decision, retain_old=True)
        setup, cleanup = bump_operations(bump, decision, request.target.default_database, request.dialect)
        bump_setup += setup
        bump_cleanup += cleanup

    extension_operations = plan_extensions(request.current.extensions, request.target.extensions)
    extension_findings = [Finding(f"{op.backend}:{op.subject()[1]}", op.describe())
                          for op in extension_operations if op.destructive]
    findings = [f for f in destructive_findings(allowed) if f.description not in approved_drops]
    findings += extension_findings
    auto_approved = False
    if request.gate and findings:
        auto_approved = _gate(findings, request, ask)

    lowered = lower(allowed, request.dialect) + Lowered(setup=tuple(bump_setup))
    operations = [*order(lowered, request.current, request.target, request.dialect), *bump_cleanup,
                  *extension_operations]
    return PlanResult(
        operations=tuple(operations), changes=tuple(allowed), blocked=tuple(blocked),
        destructive=(*destructive_findings(allowed), *extension_findings),
        risky=tuple(risky_findings(allowed, request.dialect)),
        renames=tuple(accepted), bumps=tuple(bumps), auto_approved=auto_approved,
    )


def _decide_renames(proposals: list[RenameProposal], request: PlanRequest,
                    ask: Prompter) -> tuple[list[RenameProposal], set[str]]:
    """Accepted renames, and the column drops a person approved by answering "n"."""
    if not proposals or not request.gate:
        return ([], set()) if not proposals else (list(proposals) if request.approvals.yes_rename else [], set())
    if request.approvals.yes_rename:
        return list(proposals), set()
    if not request.interactive:
        raise ApprovalRequired(
            f"the plan contains {len(proposals)} detected column rename(s) "
            f"({', '.join(f'{p.table}.{p.before.name} → {p.after.name}' for p in proposals)}) "
            f"but muskox is running non-interactively",
            "re-run with --yes-rename (or --yes-all) to accept them as renames, or edit the plan by hand",
        )
    accepted: list[RenameProposal] = []
    approved_drops: set[str] = set()
    for index, proposal in enumerate(proposals, 1):
        answer = ask.confirm_rename(proposal, index, len(proposals))
        if answer == "c":
            raise ApprovalRequired("generation cancelled during rename confirmation", "run the command again")
        if answer == "y":
            accepted.append(proposal)
        else:
            approved_drops.add(f"DROP COLUMN {proposal.before.name} FROM {_qualified(proposal)}")
    return accepted, approved_drops


def _qualified(proposal: RenameProposal) -> str:
    return proposal.table


def _decide_bumps(bumps: list[VersionBump], request: PlanRequest,
                  ask: Prompter) -> list[tuple[VersionBump, BumpDecision]]:
    decided: list[tuple[VersionBump, BumpDecision]] = []
    for bump in bumps:
        problem = backfill_problem(bump)
        if problem:
            log.warning("version bump %s → %s: %s", bump.old.name, bump.new.name, problem)
        if request.approvals.yes_all or not request.gate:
            decision = BumpDecision(backfill=problem is None, retain_old=False)
        elif request.interactive:
            decision = ask.decide_bump(bump, problem)
        else:
            raise ApprovalRequired(
                f"table '{bump.logical_name}' moves from version {bump.old.version or '(none)'} to "
                f"{bump.new.version}: backfill and keep-or-drop decisions are needed, but muskox is running "
                f"non-interactively",
                "re-run with --yes-all (backfill when eligible and drop the old table), or run it in a terminal",
            )
        if not request.approvals.auto_backfill_sql:
            decision = attrs.evolve(decision, backfill=False)
        decided.append((bump, decision))
    return decided


def _gate(findings: list[Finding], request: PlanRequest, ask: Prompter) -> bool:
    """Approve destructive operations (True: approved by override) or raise :class:`ApprovalRequired`."""
    if request.approvals.yes_destructive:
        log.warning("Auto-approved %d destructive operation(s) via override: %s", len(findings),
                    "; ".join(f.description for f in findings))
        return True
    if request.interactive and ask.confirm_destructive(findings):
        return False
    suggestions = _version_suggestions(findings, request.target)
    raise ApprovalRequired(
        f"the plan contains {len(findings)} destructive operation(s): "
        + "; ".join(f.description for f in findings)
        + ("" if request.interactive else " - and muskox is running non-interactively"),
        "re-run with --yes-destructive (or set MUSKOX_ACCEPT_DESTRUCTIVE=1) after reviewing them"
        + (f"; safer: version the table instead ({suggestions}) and migrate gradually" if suggestions else ""),
    )


def _version_suggestions(findings: list[Finding], target: InfraMap) -> str:
    tables: list[Table] = [t for key, t in target.tables.items() if any(f.key == key for f in findings)]
    return ", ".join(f"{t.name} → version \"{next_version(t.version)}\"" for t in tables)
