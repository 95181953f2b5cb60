"""The boot migration of ``muskox prod`` (seed 000, spec 7.2 and 11): nothing is served until it succeeded.

    load the plan → code consistency → (the migration lock) → drift → execute → store the state

Three ways, picked by the migrations directory:

- **a reviewed plan** (``migrations/plan.yaml``, snapshot mode): the plan must have been made for this code
  (``local_infra_map.json``), then it is applied exactly as ``muskox migrate`` applies it (drift check against
  ``remote_state.json``; a database already at the code's state runs nothing);
- **delta mode**: every change the code needs must be covered by the committed files, then the unapplied
  files are applied once, in order (parent-hash check per file); nothing is applied beyond the files;
- **no plan** (snapshot mode without ``plan.yaml``): the diff between the database and the code is applied
  when nothing in it is destructive. A destructive diff refuses to start — every destructive operation listed
  with both remedies — unless ``[migration_config] prod_auto_allow_destructive`` is true (the production
  safety gate).

Several replicas may boot at once: each waits (up to ``lock_wait`` seconds) for the migration lock, and the
ones that get it after the first find the database already migrated. The Admin API's view of the database
(:class:`LiveState`) is also here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from muskox.apply.drift import DriftDetected, check_code_consistency
from muskox.apply.executor import execute, failure_report
from muskox.apply.interrupt import INTERRUPTED_FIX, active, interrupted_error
from muskox.apply.lifecycle import RunHooks
from muskox.apply.plan_record import migration_ids
from muskox.apply.secrets import with_secrets
from muskox.apply.snapshot import ApplyFailed
from muskox.apply.store_lost import reported_if_store_fails
from muskox.config import Config
from muskox.errors import MuskoxError, PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.model.infra_map import InfraMap, table_id, view_id
from muskox.model.table import version_suffix
from muskox.plan.fold import FoldError
from muskox.plan.planner import PlanRequest, PlanResult, make_plan
from muskox.plan.reconcile import applied_state, reconcile
from muskox.plan.workspace import load_target, open_backend
from muskox.plugin.backends import olap_dialect
from muskox.plugin.dialect import Dialect
from muskox.plugin.interfaces import Lock, StateStore
from muskox.plugin.manager import Plugins
from muskox.state import LockHeld, open_state_store

log = logging.getLogger("muskox.server.boot")

Progress = Callable[[str], None]

REGENERATE = ("`muskox generate migration --url URL --token TOKEN --save` (or `--clickhouse-url URL` instead of "
              "--url/--token)")
ALLOW_KEY = "[migration_config] prod_auto_allow_destructive = true"
ALLOW_ENV = "MUSKOX_MIGRATION_CONFIG__PROD_AUTO_ALLOW_DESTRUCTIVE=true"


class DestructiveRefused(MuskoxError):
    """The code needs destructive changes, there is no reviewed plan, and the safety gate is on."""

    exit_code = ExitCode.DESTRUCTIVE_REFUSED

    def one_line(self) -> str:
        """The listing and the remedies (several lines by design)."""
        return f"{self.problem}\n{self.fix}" if self.fix else self.problem


@attrs.frozen
class BootResult:
    """How the boot migration went: ``mode`` is ``plan``, ``deltas`` or ``auto``."""

    mode: str
    target: InfraMap
    applied_operations: int = 0

    def describe(self) -> str:
        """``reviewed plan, 3 operation(s) applied`` and the like."""
        how = {"plan": "reviewed plan", "deltas": "migration files", "auto": "no plan"}[self.mode]
        return f"{how}, {self.applied_operations} operation(s) applied"


# -- the boot sequence --------------------------------------------------------------------------------------


def boot(*, plugins: Plugins, config: Config, project_dir: Path, backend: Any, store: StateStore, owner: str,
         lock_wait: float, progress: Progress, approve_findings: bool | None = None) -> BootResult:
    """Migrate the database to the code before anything is served; raises a :class:`MuskoxError` when the
    server must not start (drift, plan mismatch, migration error, destructive diff without a plan, lock).
    ``approve_findings`` approves plugins' error findings (``--yes-findings``); None: from the environment."""
    directory = project_dir / config.migration_config.dir
    ignore = frozenset(config.migration_config.ignore_operations)
    dialect = backend.dialect
    target = load_target(config, project_dir, backend.database, dialect)
    if config.features.migrate_with_deltas:
        return _boot_deltas(config=config, project_dir=project_dir, backend=backend, store=store, owner=owner,
                            lock_wait=lock_wait, progress=progress, target=target, directory=directory,
                            plugins=plugins, approve_findings=approve_findings)
    from muskox.files.plan_yaml import PLAN_FILE

    if (directory / PLAN_FILE).is_file():
        from muskox.apply.snapshot import migrate_snapshot
        from muskox.files.snapshot import read_snapshot

        snapshot = read_snapshot(directory, plugins.operations(), dialect)  # load the plan
        check_code_consistency(snapshot.local_infra_map, target, dialect, ignore)  # then: made for this code?
        progress(f"Applying the reviewed plan {directory / PLAN_FILE} ({len(snapshot.plan.operations)} "
                 f"operation(s)) if the database has not drifted")
        with acquire_waiting(store, owner, lock_wait, progress) as lock:
            progress(f"Acquired the migration lock ({lock.info.owner})")
            result = migrate_snapshot(plugins=plugins, config=config, project_dir=project_dir, backend=backend,
                                      store=store, progress=progress, target=target, command="prod",
                                      approve_findings=approve_findings)
        applied = len(result.report.succeeded) if result.report else 0
        return BootResult("plan", target, applied)
    with acquire_waiting(store, owner, lock_wait, progress) as lock:
        progress(f"Acquired the migration lock ({lock.info.owner})")
        applied = _boot_without_plan(config=config, backend=backend, store=store, target=target,
                                     progress=progress, lock=lock, plugins=plugins,
                                     approve_findings=approve_findings)
    return BootResult("auto", target, applied)


def _boot_deltas(*, config: Config, project_dir: Path, backend: Any, store: StateStore, owner: str,
                 lock_wait: float, progress: Progress, target: InfraMap, directory: Path,
                 plugins: Plugins | None = None, approve_findings: bool | None = None) -> BootResult:
    from muskox.apply.deltas import migrate_deltas
    from muskox.files.delta import load_migrations
    from muskox.plan.delta_generate import pending_state

    migrations = load_migrations(directory, backend.dialect)  # load the plan: every committed file
    with acquire_waiting(store, owner, lock_wait, progress) as lock:
        progress(f"Acquired the migration lock ({lock.info.owner})")
        stored = store.load_state()
        current = reconcile(stored, backend.introspect(stored, target), target)
        try:
            pending = pending_state(current, migrations, migration_ids(store.applied_migrations()),
                                    backend.dialect)
        except FoldError:
            pending = None  # a file does not apply to the database: migrate_deltas reports which, and why
        # when a parent hash does not match, migrate_deltas stops at that file with the drift report
        uncovered = _plan(pending.state, target, config, backend.dialect) if pending and not pending.warnings \
            else None
        if uncovered is not None and not uncovered.empty:
            raise PlanInvalid(
                "the code needs changes that no committed migration file covers (with the unapplied files "
                "applied, the database would still differ from the code); nothing was executed",
                "generate a migration file for them (`muskox generate migration --save`), review and commit it "
                "with the code, and redeploy",
                problems=[op.describe() for op in uncovered.operations])
        result = migrate_deltas(config=config, project_dir=project_dir, backend=backend, store=store,
                                progress=progress, lock=lock, target=target, command="prod", plugins=plugins,
                                approve_findings=approve_findings)
    applied = sum(len(report.succeeded) for report in result.reports)
    return BootResult("deltas", target, applied)


def _boot_without_plan(*, config: Config, backend: Any, store: StateStore, target: InfraMap, progress: Progress,
                       lock: Lock, plugins: Plugins | None = None, approve_findings: bool | None = None) -> int:
    """No reviewed plan: apply the diff unless it is destructive (and the gate is on)."""
    stored = store.load_state()
    current = reconcile(stored, backend.introspect(stored, target), target)
    result = _plan(current, target, config, backend.dialect)
    findings = destructive_operations(result)
    if findings and not config.migration_config.prod_auto_allow_destructive:
        raise refusal(findings)
    if result.empty:
        progress("No migration plan; the database already matches the code - nothing to apply")
        _save(store, stored, reconcile(stored, backend.introspect(stored, target), target))
        return 0
    if findings:
        log.warning("prod_auto_allow_destructive is set: applying %d destructive operation(s) without a reviewed "
                    "plan: %s", len(findings), "; ".join(findings))
    progress(f"No migration plan; applying the {len(result.operations)} operation(s) the code needs "
             f"({'including ' + str(len(findings)) + ' destructive' if findings else 'none destructive'})")
    hooks = RunHooks(plugins, config, command="prod", mode="auto", say=progress, approve_findings=approve_findings)
    hooks.check(result.operations, target=target, current=current, dialect=backend.dialect)
    lock.check()
    applier = hooks.wrap(with_secrets(backend.apply, lambda: target), result.operations, label=None,
                         dialect=backend.dialect, database=backend.database)
    report = execute(result.operations, applier, parallelism=config.migration_config.parallelism, progress=progress)
    hooks.finished(report)
    if not report.ok and report.interrupted and (stop := active()) is not None:
        raise interrupted_error(stop, failure_report(report, RECOVERY[1:]), INTERRUPTED_FIX)
    if not report.ok:
        raise ApplyFailed(failure_report(report, RECOVERY))
    with reported_if_store_fails(report):
        store.save_state(applied_state(stored, backend.introspect(stored, target), target))
    progress(f"Applied {len(report.succeeded)} operation(s) in {report.seconds:.1f} s")
    return len(report.succeeded)


RECOVERY = (
    "read the error of the failed operation above and fix its cause (data that does not convert, a missing "
    "privilege, a server limit)",
    f"the operations that succeeded stay applied: restart `muskox prod` to apply the rest, or generate a reviewed "
    f"plan for what is left with {REGENERATE}",
)


def destructive_operations(result: PlanResult) -> list[str]:
    """Everything in ``result`` that can lose data: the destructive changes, and the old tables version bumps
    drop."""
    findings = [finding.description for finding in result.destructive]
    for bump, decision in result.bumps:
        if bump.in_place and not decision.retain_old:
            old = bump.old.name + version_suffix(bump.old.version)
            old = f"{bump.old.database}.{old}" if bump.old.database else old
            new = bump.new.name + version_suffix(bump.new.version)
            findings.append(f"DROP TABLE {old} (replaced by {new}, version {bump.new.version})")
    return findings


def refusal(findings: Sequence[str]) -> DestructiveRefused:
    """The safety gate's error: every destructive operation, then both remedies."""
    listing = "\n".join(f"  - {finding}" for finding in findings)
    return DestructiveRefused(
        f"muskox prod refuses to start: there is no reviewed migration plan and the changes the code needs "
        f"include {len(findings)} destructive operation(s); nothing was executed:\n{listing}",
        "Either:\n"
        f"  1. generate a reviewed plan against this database with {REGENERATE}, review migrations/plan.yaml, "
        f"commit it with the code and redeploy; or\n"
        f"  2. accept unreviewed destructive changes: set {ALLOW_KEY} in muskox.toml, or {ALLOW_ENV} in the "
        f"environment",
    )


def _plan(current: InfraMap, target: InfraMap, config: Config, dialect: Dialect) -> PlanResult:
    return make_plan(PlanRequest(current=current, target=target, dialect=dialect, gate=False,
                                 ignore_operations=frozenset(config.migration_config.ignore_operations)))


def _save(store: StateStore, stored: InfraMap | None, state: InfraMap) -> None:
    if stored is None or stored != state:
        store.save_state(state)


def acquire_waiting(store: StateStore, owner: str, wait: float, progress: Progress, *,
                    sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.monotonic) -> Lock:
    """The migration lock, waiting up to ``wait`` seconds while another replica holds it.

    :raises LockHeld: still held after ``wait`` seconds.
    """
    deadline = clock() + wait
    told = False
    while True:
        try:
            return store.acquire_lock(owner)
        except LockHeld as exc:
            remaining = deadline - clock()
            if remaining <= 0:
                raise LockHeld(exc.holder, problem=f"{exc.problem}; waited {wait:.0f} s for it", fix=exc.fix) \
                    from None
            if not told:
                progress(f"{exc.problem}; waiting up to {wait:.0f} s for it (another replica is migrating)")
                told = True
            sleep(min(2.0, remaining))


# -- why the server did not start ---------------------------------------------------------------------------


def startup_failure(error: MuskoxError) -> str:
    """The seed's failure table: what happened and how to resolve it, in one line."""
    if isinstance(error, DriftDetected):
        return (f"muskox prod did not start (drift detected): regenerate the plan against the production database "
                f"as it is now with {REGENERATE}, and redeploy")
    if isinstance(error, PlanInvalid):
        return ("muskox prod did not start (plan mismatch): make the migrations directory match the code in this "
                "deployment (regenerate the plan, commit it with the code), and redeploy")
    if isinstance(error, ApplyFailed):
        return ("muskox prod did not start (migration error): fix the schema issue or the plan file, then "
                "redeploy")
    if isinstance(error, DestructiveRefused):
        return "muskox prod did not start (destructive changes without a reviewed plan)"
    if isinstance(error, LockHeld):
        return "muskox prod did not start (the migration lock stayed held)"
    return "muskox prod did not start"


# -- what the Admin API reads -------------------------------------------------------------------------------


@attrs.define
class LiveState:
    """The database as the running server sees it, read afresh (own connections) for each request."""

    plugins: Plugins
    config: Config
    project_dir: Path
    target: InfraMap

    @property
    def dialect(self) -> Dialect:
        """The OLAP backend's dialect."""
        return olap_dialect(self.plugins)

    def current_state(self) -> InfraMap:
        """The stored state reconciled with the database; the deployed code's ids adopt unmapped objects."""
        return self._current(self.target)

    def applied_migrations(self) -> list[str]:
        """The applied migration files (delta mode)."""
        with self._store() as store:
            return list(store.applied_migrations())

    def plan(self, target: InfraMap) -> dict[str, Any]:
        """The plan from the database (reconciled with ``target``) to ``target``, as ``plan --json`` prints it."""
        from muskox.cli.plan_output import plan_json

        target = on_database(target, self.target.default_database)
        result = _plan(self._current(target), target, self.config, self.dialect)
        return plan_json(result, target, self.dialect)

    def _store(self) -> StateStore:
        return open_state_store(self.config, self.plugins, project_dir=self.project_dir, dialect=self.dialect)

    def _current(self, target: InfraMap) -> InfraMap:
        with self._store() as store, open_backend(self.plugins, self.config) as backend:
            stored = store.load_state()
            return reconcile(stored, backend.introspect(stored, target), target)


def on_database(infra: InfraMap, database: str) -> InfraMap:
    """``infra`` moved to ``database`` as its default database (Moose's ``fixup_default_db``): what was in the
    old default database is now in the new one."""
    old = infra.default_database
    if old == database:
        return infra

    def moved(value: str | None) -> str | None:
        return None if value == old else value

    tables = [attrs.evolve(t, database=moved(t.database)) for t in infra.tables.values()]
    views = [attrs.evolve(v, database=moved(v.database)) for v in infra.views.values()]
    materialized_views = [attrs.evolve(m, database=moved(m.database), target_database=moved(m.target_database))
                          for m in infra.materialized_views.values()]
    return InfraMap(
        default_database=database,
        tables={table_id(t, database): t for t in tables},
        views={view_id(v.database, v.name, database): v for v in views},
        materialized_views={view_id(m.database, m.name, database): m for m in materialized_views},
        topics=dict(infra.topics),
    )
