"""One cycle of ``muskox dev``: collect the code, plan against the database, apply under the lock, store the state.

    collector (fresh process) ─► target ──┐
    backend.introspect() + store ─► current ─┴─► decide (planner + approvals) ─► lock ─► execute ─► save state

The lock is held only while the operations run and the new state is stored. A cycle with nothing to apply runs
no DDL and takes no lock (it stores the state only when the store does not hold it yet). Failures are raised to
the loop (:mod:`muskox.dev.loop`), which prints them and goes on watching.

The state stored after applying is the plan folded onto the current state in memory (:mod:`muskox.plan.fold`)
rather than a second reading of the database: every cycle plans from a fresh reading anyway, and of the stored
state only which objects muskox manages and the facts the database cannot show (lifecycle, version, metadata)
are used, which the fold gets right. That saves a full introspection per save.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import attrs

from muskox.apply.executor import execute, failure_report
from muskox.apply.interrupt import stop_on_signals
from muskox.apply.secrets import with_secrets
from muskox.dev.rehearsal import rehearse_cycle
from muskox.dev.stopping import stopped_while_applying
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation
from muskox.plan.changes import Blocked, Change
from muskox.plan.checks import PlanGate
from muskox.plan.fold import fold
from muskox.plan.planner import PlanRequest
from muskox.plan.policies.approvals import Approvals, Prompter
from muskox.plan.reconcile import applied_state, reconcile
from muskox.plugin.dialect import Dialect
from muskox.plugin.interfaces import StateStore

Outcome = Literal["applied", "unchanged"]

RECOVERY = (
    "read the error above and fix its cause (in the code, or data that does not convert)",
    "save again: the next cycle plans from the database as it is now (nothing is rolled back)",
)


class DevApplyFailed(MuskoxError):
    """An operation of a cycle failed; the message is the executor's report of every operation's fate."""

    exit_code = ExitCode.APPLY_FAILED

    def one_line(self) -> str:
        """The full report (several lines)."""
        return self.problem


@attrs.frozen
class DevSettings:
    """How cycles plan and apply: the approvals given up front, whether a person can be asked, the ignored
    operations, the executor's parallelism and, with ``--save-plan``, the migrations directory to write."""

    approvals: Approvals = Approvals()
    interactive: bool = False
    ignore_operations: frozenset[str] = frozenset()
    parallelism: int = 4
    save_plan_dir: Path | None = None
    plan_gate: PlanGate | None = None
    """Plugins' plan checks (:mod:`muskox.plan.checks`): an unapproved error stops the cycle before it applies."""


@attrs.frozen
class CycleResult:
    """What a cycle did."""

    outcome: Outcome
    changes: tuple[Change, ...] = ()
    operations: tuple[Operation, ...] = ()
    held: tuple[str, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    seconds: float = 0.0
    written: tuple[Path, ...] = ()


class DevCycle:
    """Runs cycles against one backend and state store.

    :param collect: returns the code's declarations, imported afresh (:class:`muskox.dev.collector.Collector`).
    :param backends: :class:`muskox.plugin.backends.Backends` (``prefetch``, ``introspect``, ``apply``).
    :param lock_owner: the owner recorded in the migration lock.
    """

    def __init__(self, *, collect: Callable[[], InfraMap], backends: Any, store: StateStore, dialect: Dialect,
                 settings: DevSettings, prompter: Prompter | None, lock_owner: str) -> None:
        self.collect = collect
        self.backends = backends
        self.store = store
        self.dialect = dialect
        self.settings = settings
        self.prompter = prompter
        self.lock_owner = lock_owner

    def run(self) -> CycleResult:
        """One cycle (see the module). Raises the code's, the planner's or the server's error."""
        from muskox.dev.decide import decide

        started = time.perf_counter()
        self.backends.prefetch()  # the server reads its schema while the code is imported
        try:
            target = self.collect()
        except Exception:
            self._discard_prefetched()
            raise
        stored = self.store.load_state()
        reality: InfraMap = self.backends.introspect(stored, target)
        current = reconcile(stored, reality, target)
        request = PlanRequest(current=current, target=target, dialect=self.dialect,
                              ignore_operations=self.settings.ignore_operations, approvals=self.settings.approvals,
                              interactive=self.settings.interactive)
        decision = decide(request, self.prompter)
        result = decision.result
        if self.settings.plan_gate is not None:
            self.settings.plan_gate.check(result.operations, target=target, current=current, dialect=self.dialect)
        if not result.operations:
            state = applied_state(stored, reality, target)
            if stored is None or stored != state:
                with self.store.acquire_lock(self.lock_owner):
                    self.store.save_state(state)
            return CycleResult("unchanged", held=decision.held, blocked=result.blocked,
                               seconds=time.perf_counter() - started)
        rehearse_cycle(self.backends, result.operations, current)
        with self.store.acquire_lock(self.lock_owner) as lock, stop_on_signals() as stop:
            report = execute(result.operations, with_secrets(self.backends.apply, lambda: target),
                             parallelism=self.settings.parallelism)
            if stop.requested:  # SIGTERM/SIGINT while applying: store what ran, unlock, report, end dev
                raise stopped_while_applying(stop, report, lambda: self.store.save_state(
                    applied_state(stored, self.backends.introspect(stored, target), target)))
            if not report.ok:
                raise DevApplyFailed(failure_report(report, RECOVERY))
            lock.check()
            self.store.save_state(self._state_after(stored, current, target, result.operations))
        written = self._save_plan(result.operations, current, target)
        return CycleResult("applied", changes=result.changes, operations=result.operations, held=decision.held,
                           blocked=result.blocked, seconds=time.perf_counter() - started, written=written)

    def _state_after(self, stored: InfraMap | None, current: InfraMap, target: InfraMap,
                     operations: tuple[Operation, ...]) -> InfraMap:
        """The state to store once ``operations`` succeeded: folded onto ``current`` in memory (see the
        module), or read from the database when the operations cannot be folded (a plugin's own kinds)."""
        try:
            return applied_state(stored, fold(current, operations), target)
        except MuskoxError:
            return applied_state(stored, self.backends.introspect(stored, target), target)

    def _discard_prefetched(self) -> None:
        """Consume the schema read in advance, so that the next cycle reads the database afresh."""
        with contextlib.suppress(Exception):
            self.backends.olap.introspect()

    def _save_plan(self, operations: tuple[Operation, ...], current: InfraMap, target: InfraMap) -> tuple[Path, ...]:
        """With ``--save-plan``: the cycle's plan and states as ``generate migration --save`` writes them."""
        directory = self.settings.save_plan_dir
        if directory is None:
            return ()
        from muskox.files.plan_yaml import Plan, utc_timestamp
        from muskox.files.snapshot import Snapshot, write_snapshot

        directory.mkdir(parents=True, exist_ok=True)
        plan = Plan(created_at=utc_timestamp(), operations=operations)
        return tuple(write_snapshot(directory, Snapshot(plan=plan, remote_state=current, local_infra_map=target),
                                    self.dialect))
