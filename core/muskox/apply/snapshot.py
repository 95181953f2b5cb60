"""Applying a reviewed plan (snapshot mode, spec section 5).

    lock → load the plan files → applied before? → drift check (3-way) → code-consistency and plan checks →
    record "started" → execute (recording raw SQL as it runs) → record "applied" → store state → unlock

Each step either passes or stops everything with one clear error; nothing is executed after a failed check.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from muskox.apply.drift import (
    DriftDetected,
    DriftOutcome,
    check_code_consistency,
    check_drift,
    check_plan_database,
    drift_report,
    raise_drift,
    same_state,
)
from muskox.apply.executor import Advanced, ExecutionReport, execute, failure_report
from muskox.apply.history import OperationTimer, RunContext, operations_json, record_run
from muskox.apply.interrupt import active, interrupted_error
from muskox.apply.lifecycle import RunHooks
from muskox.apply.plan_record import (
    PlanProgress,
    applied_record,
    done_record,
    plan_identity,
    read_progress,
    started_record,
)
from muskox.apply.recorded_run import PlannedRun, RecordingApplier, partly_applied, what_is_left, whole_plan
from muskox.apply.rehearsal import rehearse_or_stop
from muskox.apply.resume_exchanged import expected_after
from muskox.apply.secrets import with_secrets
from muskox.apply.store_lost import (
    raw_sql_all_recorded,
    record_or_note,
    reported_if_store_fails,
    state_not_stored,
    store_lost_in,
)
from muskox.config import Config
from muskox.errors import MuskoxError, PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.files.plan_yaml import PLAN_FILE
from muskox.files.snapshot import Snapshot, read_snapshot
from muskox.files.validate import check_snapshot
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation, RawSql
from muskox.plan.reconcile import applied_state, reconcile
from muskox.plan.workspace import load_target
from muskox.plugin.dialect import Dialect
from muskox.plugin.interfaces import StateStore
from muskox.plugin.manager import Plugins

log = logging.getLogger("muskox.apply.snapshot")

REGENERATE = "muskox generate migration --clickhouse-url URL --save"


class ApplyFailed(MuskoxError):
    """An operation failed while applying; the message lists every operation's fate and the recovery steps."""

    exit_code = ExitCode.APPLY_FAILED

    def one_line(self) -> str:
        """The full report (it spans several lines by design)."""
        return self.problem


class MigrateOutcome(enum.Enum):
    """How a migration ended when it did not fail."""

    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    ALREADY_AT_TARGET = "already_at_target"
    NOTHING_TO_DO = "nothing_to_do"


@attrs.frozen
class MigrateResult:
    """What ``migrate`` did."""

    outcome: MigrateOutcome
    report: ExecutionReport | None = None


PLAN_FIX = ("remove the refused operations from plan.yaml, or change the code (its lifecycle or its declarations) and "
            f"regenerate the plan ({REGENERATE})")

REHEARSAL_FIX = ("change the code so that the database can make the change (the server's error says what it "
                 f"refuses) and regenerate the plan ({REGENERATE}), or correct the hand-edited operation in the plan")

RECOVERY = (
    "read the error of the failed operation above and fix its cause (data that does not convert, a missing "
    "privilege, a server limit)",
    "run `muskox migrate --resume`: it checks the database is where the operations marked ✓ leave it and runs "
    "exactly the operations not marked ✓ (a raw SQL operation from its first statement that did not run)",
    f"or regenerate the plan against the database as it is now ({REGENERATE}), review it and commit it: the "
    "operations that succeeded are then part of remote_state.json (raw SQL that did not run must be added back "
    "by hand); nothing is rolled back automatically",
)

RESUME = ("run `muskox migrate --resume`: it checks the database is where the operations marked ✓ leave it and runs "
          "exactly the operations not marked ✓",
          f"or regenerate the plan against the database as it is now ({REGENERATE}), review it and commit it")
RESUME_FIX = "the migration lock was released; finish the plan with `muskox migrate --resume` (see the steps above)"


def migrate_snapshot(*, plugins: Plugins, config: Config, project_dir: Path, backend: Any, store: StateStore,
                     progress: Callable[[str], None], advanced: Advanced | None = None,
                     resume: bool = False, target: InfraMap | None = None, command: str = "migrate",
                     rehearse: bool = True, approve_findings: bool | None = None) -> MigrateResult:
    """Apply ``migrations/plan.yaml`` if the database is still as the plan expects (the caller holds the lock).

    A plan runs once: it is recorded in ``store`` (:mod:`muskox.apply.plan_record`); a plan already applied is
    not applied again, and one that stopped part-way runs again only with ``resume`` (exactly what is left).
    ``target`` is the code's state when the caller collected it already (before taking the lock).
    ``progress`` receives the status lines, ``advanced`` the count of finished operations (see
    :func:`muskox.apply.executor.execute`). However it ends, the run is added to the store's migration history
    (:mod:`muskox.apply.history`) as run by ``command``. With ``rehearse`` the operations are first tried on empty
    copies (:mod:`muskox.apply.rehearsal`): a statement the server refuses stops the run before anything runs.
    Plugins' plan checks run before that (errors refused unless ``approve_findings``; None: from the
    environment), and their lifecycle hooks around the operations (:mod:`muskox.apply.lifecycle`)."""
    trail = Trail()
    hooks = RunHooks(plugins, config, command=command, mode="snapshot", say=progress,
                     approve_findings=approve_findings)
    context = RunContext(command=command, mode="snapshot", tenant=config.tenant)
    try:
        result = _migrate_snapshot(plugins=plugins, config=config, project_dir=project_dir, backend=backend,
                                   store=store, progress=progress, advanced=advanced, resume=resume, target=target,
                                   trail=trail, rehearse=rehearse, hooks=hooks)
    except MuskoxError as exc:
        outcome = "failed" if trail.operations is not None else "refused"
        record_run(store, context, outcome=outcome, started=trail.started, operations=trail.operations,
                   subject={**trail.subject, "error": exc.problem[:1000]}, warn=progress)
        raise
    record_run(store, context, outcome=result.outcome.value, started=trail.started, subject=trail.subject,
               operations=trail.operations, warn=progress)
    return result


@attrs.define
class Trail:
    """What a run learnt, for its history entry: the plan and the fate of each operation run."""

    started: float = attrs.field(factory=time.monotonic)
    subject: dict[str, Any] = attrs.field(factory=dict)
    operations: list[dict[str, Any]] | None = None


def _migrate_snapshot(*, plugins: Plugins, config: Config, project_dir: Path, backend: Any, store: StateStore,
                      progress: Callable[[str], None], advanced: Advanced | None, resume: bool,
                      target: InfraMap | None, trail: Trail, rehearse: bool = True,
                      hooks: RunHooks | None = None) -> MigrateResult:
    backend.prefetch()  # under the lock: the server reads its schema while the plan, code and state are read
    directory = project_dir / config.migration_config.dir
    dialect = backend.dialect
    snapshot = read_snapshot(directory, plugins.operations(), dialect)
    check_plan_database(snapshot.local_infra_map, backend.database)
    identity = plan_identity(snapshot.plan, dialect)
    operations = snapshot.plan.operations
    trail.subject = {"plan": identity, "plan_created_at": snapshot.plan.created_at, "resume": resume}
    ignore = frozenset(config.migration_config.ignore_operations)
    database: str = backend.database
    if target is None:
        target = load_target(config, project_dir, database, dialect)
    stored = store.load_state()
    current = reconcile(stored, backend.introspect(stored, target, snapshot.remote_state), target)
    recorded = read_progress(store.applied_migrations(), identity)

    if recorded.applied:
        progress(f"{PLAN_FILE} (plan {identity}) was already applied - nothing to do")
        if same_state(current, target, dialect, ignore):
            _save(store, stored, _applied_state(backend, stored, target))
        return MigrateResult(MigrateOutcome.ALREADY_APPLIED)
    if recorded.partial and raw_sql_all_recorded(operations, recorded) and same_state(current, target, dialect,
                                                                                       ignore):
        store.record_applied(applied_record(identity))  # an earlier run applied it all; its store failed
        _save(store, stored, _applied_state(backend, stored, target))
        progress(f"{PLAN_FILE} (plan {identity}) was applied by an earlier run that could not record it: the "
                 "database matches the code, so nothing ran again; recorded it and stored the state now")
        return MigrateResult(MigrateOutcome.ALREADY_APPLIED)
    if recorded.partial and not resume:
        raise partly_applied(operations, recorded, identity, PLAN_FILE, REGENERATE)
    if recorded.partial:
        run = _resumable(snapshot, recorded, current, dialect, ignore)
        progress(f"Resuming {PLAN_FILE} (plan {identity}): {len(run.operations)} of {len(operations)} "
                 f"operation(s) left")
    else:
        outcome = check_drift(current, snapshot.remote_state, target, dialect, ignore)
        if outcome is DriftOutcome.DRIFT:
            raise_drift(snapshot.remote_state, current, REGENERATE, dialect, ignore)
        if outcome is DriftOutcome.ALREADY_AT_TARGET:
            progress("Database already matches the target state - skipping migration" + _unrun_raw_sql(operations))
            _save(store, stored, _applied_state(backend, stored, target))
            return MigrateResult(MigrateOutcome.ALREADY_AT_TARGET)
        run = whole_plan(operations)
    check_code_consistency(snapshot.local_infra_map, target, dialect, ignore)
    checked = check_snapshot(snapshot, directory, dialect, ignore)
    if checked.problems:  # a hand edit that breaks a lifecycle rule or does not reach the code: nothing runs
        raise PlanInvalid(f"{PLAN_FILE} was not applied: nothing was executed", PLAN_FIX,
                          problems=list(checked.problems))
    if not operations:
        progress("No operations to apply - the database is already up to date")
        _save(store, stored, _applied_state(backend, stored, target))
        return MigrateResult(MigrateOutcome.NOTHING_TO_DO)

    if hooks is not None:
        hooks.check(run.operations, target=target, current=current, dialect=dialect)
    if rehearse:
        rehearse_or_stop(backend, run.operations, current, what=PLAN_FILE, fix=REHEARSAL_FIX, progress=progress)
    begin = getattr(backend, "begin_apply", None)
    if begin is not None:  # the backend's checks before anything runs (every node of a cluster answers, say)
        begin(run.operations)
    if not recorded.started:
        store.record_applied(started_record(identity))
    timer = OperationTimer(with_secrets(backend.apply, lambda: target))
    applier = timer if hooks is None else hooks.wrap(timer, run.operations, label=identity, dialect=dialect,
                                                     database=database)
    report = execute(run.operations, RecordingApplier(run, applier, store, identity),
                     parallelism=config.migration_config.parallelism, progress=progress, advanced=advanced)
    if hooks is not None:
        hooks.finished(report)
    trail.operations = operations_json(report, timer, [position + 1 for position in run.positions])
    if (lost := store_lost_in(report)) is not None:  # every operation that ran ran whole; the store failed
        raise state_not_stored(*lost)
    if not report.ok:
        note = record_or_note(lambda: store.record_applied(
            done_record(identity, (run.positions[i] for i in report.succeeded)))) if report.succeeded else ""
        if report.interrupted and (stop := active()) is not None:
            raise interrupted_error(stop, failure_report(report, RESUME) + note, RESUME_FIX)
        raise ApplyFailed(failure_report(report, RECOVERY) + note)
    with reported_if_store_fails(report):  # the state store lost after operations ran: say what ran
        store.record_applied(applied_record(identity))
        progress(f"Recorded plan {identity} as applied")
        store.save_state(_applied_state(backend, stored, target))
    progress(f"Applied {len(report.succeeded)} operation(s) in {report.seconds:.1f} s")
    return MigrateResult(MigrateOutcome.APPLIED, report)


def _resumable(snapshot: Snapshot, recorded: PlanProgress, current: InfraMap, dialect: Dialect,
               ignore: frozenset[str]) -> PlannedRun:
    """What is left of a partly applied plan, once the database is confirmed to be where the recorded
    operations leave it (else nothing can be resumed safely: the drift report says why)."""
    operations = snapshot.plan.operations
    done = [operations[index] for index in sorted(recorded.operations)]
    expected = expected_after(operations, recorded.operations, snapshot.remote_state, current, dialect, ignore)
    if not same_state(current, expected, dialect, ignore):
        lines = drift_report(expected, current, dialect, ignore)
        raise DriftDetected(
            f"{PLAN_FILE} cannot be resumed: the database is not where the {len(done)} operation(s) recorded as "
            "done leave it (an operation ran without being recorded, e.g. after a kill -9, or the database "
            "changed since); nothing was executed:\n" + "\n".join(f"  {line}" for line in lines),
            f"regenerate the plan against the database as it is now: {REGENERATE}")
    return what_is_left(operations, recorded)


def _unrun_raw_sql(operations: Sequence[Operation]) -> str:
    """A note naming the plan's raw SQL, which a database already at the target state does not run."""
    raw = [f"[{index}] {operation.describe()}" for index, operation in enumerate(operations, 1)
           if isinstance(operation, RawSql)]
    if not raw:
        return ""
    return (f" (its {len(raw)} raw SQL operation(s) were not run now: {'; '.join(raw)}; an earlier run whose records "
            "were lost with its state store may have run them; otherwise run them by hand if they are "
            "still needed)")


def _save(store: StateStore, stored: InfraMap | None, state: InfraMap) -> None:
    """Store ``state`` unless the store already holds exactly it (re-runs do not grow the state history)."""
    if stored is None or stored != state:
        store.save_state(state)


def _applied_state(backend: Any, stored: InfraMap | None, target: InfraMap) -> InfraMap:
    """What to remember: the database as it is now, limited to what muskox manages (what it managed before and
    still exists — e.g. a protected table the code no longer declares — and what the code declares)."""
    return applied_state(stored, backend.introspect(stored, target), target)
