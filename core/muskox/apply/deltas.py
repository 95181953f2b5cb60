"""Applying migration files exactly once (delta mode, spec 3.3).

    (the caller holds the lock) → load the committed files and the applied list → current state →
    for each unapplied file in id order: parent hash check → execute its deltas → record it applied →
    store the state

The *current* state is the stored state reconciled with the database (as in snapshot mode), then folded with
the files applied earlier in the same run. A file whose ``parent_state_hash`` differs from the hash of that
state was generated against another state: nothing of it runs, and a forensic report compares what the
applied files say with what the database has. A file is recorded as applied as soon as all its deltas
succeeded, so a later failure never runs it again; a file that fails half-way is not recorded, and the report
shows each delta's fate with the two ways to recover.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from muskox.apply.delta_checksums import check_unedited, checksum_record, current_checksums, recorded_checksums
from muskox.apply.drift import DriftDetected, describe
from muskox.apply.executor import Advanced, ExecutionReport, execute
from muskox.apply.history import OperationTimer, RunContext, operations_json, record_run
from muskox.apply.interrupt import INTERRUPTED_FIX, active, interrupted_error, stopped_between_files
from muskox.apply.lifecycle import RunHooks
from muskox.apply.plan_record import migration_ids
from muskox.apply.rehearsal import rehearse_or_stop
from muskox.apply.secrets import with_secrets
from muskox.apply.snapshot import ApplyFailed
from muskox.config import Config
from muskox.errors import MuskoxError, PlanInvalid
from muskox.files.delta import MigrationFile, load_migrations, stale_canonical_form
from muskox.files.delta_operations import Lowered, fold_migration, fold_migrations, lower_migration, pending_operations
from muskox.files.state_hash import state_hash
from muskox.model.infra_map import InfraMap
from muskox.plan.changes import Change
from muskox.plan.differ import DiffOptions, diff
from muskox.plan.fold import FoldError
from muskox.plan.reconcile import reconcile
from muskox.plan.workspace import load_target
from muskox.plugin.dialect import Dialect
from muskox.plugin.interfaces import Lock, StateStore
from muskox.plugin.manager import Plugins

log = logging.getLogger("muskox.apply.snapshot")

REGENERATE = "muskox generate migration --clickhouse-url URL --save"
_KIND_TITLES = {"table": "Tables", "view": "Views", "materialized_view": "Materialized views", "topic": "Topics"}


class StateDiverged(DriftDetected):
    """A migration file's parent hash does not match the database; nothing of it was executed."""

    def one_line(self) -> str:
        """The report (several lines by design), then the fix on its own line."""
        return f"{self.problem}\nFix: {self.fix}" if self.fix else self.problem


@attrs.frozen
class DeltaMigrateResult:
    """What ``migrate`` did in delta mode: the ids applied now, in order."""

    applied: tuple[str, ...]
    reports: tuple[ExecutionReport, ...] = ()


def migrate_deltas(*, config: Config, project_dir: Path, backend: Any, store: StateStore,
                   progress: Callable[[str], None], lock: Lock | None = None,
                   advanced: Advanced | None = None, target: InfraMap | None = None,
                   command: str = "migrate", rehearse: bool = True, plugins: Plugins | None = None,
                   approve_findings: bool | None = None) -> DeltaMigrateResult:
    """Apply every committed, unapplied migration file in id order (the caller holds the lock); ``advanced``
    receives each file's count of finished operations (see :func:`muskox.apply.executor.execute`). However it
    ends, the run is added to the store's migration history (:mod:`muskox.apply.history`) as run by ``command``.
    With ``rehearse`` the operations of every unapplied file are first tried together on empty copies
    (:mod:`muskox.apply.rehearsal`): a statement the server refuses stops everything before any file runs.
    With ``plugins``, their plan checks see the operations of every unapplied file before any runs (errors refused
    unless ``approve_findings``; None: from the environment) and their lifecycle hooks fire around each file."""
    started = time.monotonic()
    hooks = RunHooks(plugins, config, command=command, mode="delta", say=progress, approve_findings=approve_findings)
    context = RunContext(command=command, mode="delta", tenant=config.tenant)
    code: list[InfraMap] = [] if target is None else [target]
    timer = OperationTimer(with_secrets(backend.apply, lambda: code[0] if code else load_target(
        config, project_dir, backend.database, backend.dialect)))
    files: list[dict[str, Any]] = []
    try:
        result = _migrate_deltas(config=config, project_dir=project_dir, backend=backend, store=store,
                                 progress=progress, lock=lock, advanced=advanced, target=target, timer=timer,
                                 files=files, rehearse=rehearse, hooks=hooks)
    except MuskoxError as exc:
        record_run(store, context, outcome="failed" if files else "refused", started=started,
                   subject={"migrations": files, "error": exc.problem[:1000]}, warn=progress)
        raise
    record_run(store, context, outcome="applied" if result.applied else "nothing_to_do", started=started,
               subject={"migrations": files}, warn=progress)
    return result


def _migrate_deltas(*, config: Config, project_dir: Path, backend: Any, store: StateStore,
                    progress: Callable[[str], None], lock: Lock | None, advanced: Advanced | None,
                    target: InfraMap | None, timer: OperationTimer, files: list[dict[str, Any]],
                    rehearse: bool = True, hooks: RunHooks | None = None) -> DeltaMigrateResult:
    directory = project_dir / config.migration_config.dir
    dialect = backend.dialect
    migrations = load_migrations(directory, dialect)
    records = store.applied_migrations()
    applied = migration_ids(records)
    checksums = current_checksums(directory, (m.id for m in migrations))
    check_unedited(directory, records, checksums)  # an applied file edited since: exit 7, nothing runs
    by_id = {m.id: m for m in migrations}
    for missing in (i for i in applied if i not in by_id):
        log.warning("applied migration %s has no file in %s (was it deleted?)", missing, directory)
    done = set(applied)
    unapplied = [m for m in migrations if m.id not in done]
    if not unapplied:
        progress(f"No migration files to apply ({len(migrations)} committed, all applied)")
        return DeltaMigrateResult(applied=())

    if target is None:  # the caller may have collected the code before taking the lock
        target = load_target(config, project_dir, backend.database, dialect)
    stored = store.load_state()
    current = reconcile(stored, backend.introspect(stored, target), target)
    applied_log = [m for m in migrations if m.id in done]
    if hooks is not None:
        hooks.check(pending_operations(unapplied, current), target=target, current=current, dialect=dialect)
    if rehearse:
        _rehearse(unapplied, current, backend, progress)
    state = current
    now_applied: list[str] = []
    reports: list[ExecutionReport] = []
    try:
        for number, migration in enumerate(unapplied, 1):
            if lock is not None:
                lock.check()
            if (stop := active()) is not None and stop.requested:
                raise stopped_between_files(stop, now_applied, unapplied[number - 1:])
            expected = migration.parent_state_hash
            actual = state_hash(state, dialect)
            if expected != actual:
                stale = stale_canonical_form(migration, dialect)
                if stale is not None:
                    raise stale
                raise _diverged(migration, expected, actual, applied_log, state, stored, applied, dialect)
            lowered, after = lower_migration(migration, state)
            progress(f"Applying migration {number}/{len(unapplied)}: {migration.id} "
                     f"({len(migration.deltas)} delta(s), {len(lowered.operations)} operation(s))")
            applier = timer if hooks is None else hooks.wrap(timer, lowered.operations, label=migration.id,
                                                             dialect=dialect, database=backend.database)
            report = execute(lowered.operations, applier, parallelism=config.migration_config.parallelism,
                             progress=progress, advanced=advanced)
            if hooks is not None:
                hooks.finished(report)
            reports.append(report)
            files.append({"id": migration.id, "outcome": "applied" if report.ok else "failed",
                          "operations": operations_json(report, timer)})
            if not report.ok and report.interrupted and (stop := active()) is not None:
                raise interrupted_error(stop, delta_failure_report(migration, lowered, report), INTERRUPTED_FIX)
            if not report.ok:
                raise ApplyFailed(delta_failure_report(migration, lowered, report))
            store.record_applied(checksum_record(migration.id, checksums[migration.id]))
            store.record_applied(migration.id)
            progress(f"Recorded {migration.id} as applied")
            now_applied.append(migration.id)
            applied_log.append(migration)
            state = after
    finally:
        if now_applied:  # remember what the files applied so far created, even when a later one failed
            store.save_state(reconcile(state, backend.introspect(state, target), target))
    progress(f"Applied {len(now_applied)} migration file(s)")
    return DeltaMigrateResult(applied=tuple(now_applied), reports=tuple(reports))


def _rehearse(unapplied: Sequence[MigrationFile], current: InfraMap, backend: Any,
              progress: Callable[[str], None]) -> None:
    """Rehearse the operations of every unapplied file, in order. Files that do not lower from the current state
    are left to the checks of the run itself (which report them precisely): the rehearsal covers those before."""
    operations = pending_operations(unapplied, current)
    what = (f"migration file {unapplied[0].file_name}" if len(unapplied) == 1
            else f"{len(unapplied)} migration files ({unapplied[0].file_name} …)")
    rehearse_or_stop(backend, operations, current, what=what, progress=progress,
                     fix="change the code so that the database can make the change (the server's error says what "
                         "it refuses), move the unapplied file(s) out of the migrations directory and regenerate "
                         f"({REGENERATE}), or correct the hand-edited delta")


# -- the forensic report ------------------------------------------------------------------------------------


def _diverged(migration: MigrationFile, expected: str, actual: str, applied_log: Sequence[MigrationFile],
              live: InfraMap, stored: InfraMap | None, applied_ids: Sequence[str], dialect: Dialect) -> StateDiverged:
    lines = [f"Migration '{migration.id}' cannot be applied: the database state has diverged from the state it "
             f"was generated against (parent_state_hash {expected[:12]}…, the database with the files before it: "
             f"{actual[:12]}…); nothing of it was executed."]
    lines += forensic_report(applied_log, live, stored, dialect)
    later = [i for i in applied_ids if i > migration.id]
    if later:
        lines.append(f"Note: it sorts before files already applied ({', '.join(later[:3])}): it was probably "
                     f"generated on another branch.")
    fix = (f"if the database was changed by hand, make the code describe it or revert the change; then move "
           f"{migration.file_name} (and any later unapplied file) out of the migrations directory, regenerate "
           f"against the database as it is now ({REGENERATE}), review and commit the new file, and run "
           f"`muskox migrate` again")
    return StateDiverged("\n".join(lines), fix)


def forensic_report(applied_log: Sequence[MigrationFile], live: InfraMap, stored: InfraMap | None,
                    dialect: Dialect) -> list[str]:
    """What the applied files say versus what the database has, per category: ``+`` in the database but not in
    the files, ``-`` in the files but not in the database, ``~`` different."""
    empty = InfraMap(default_database=live.default_database)
    try:
        expected = fold_migrations(empty, applied_log)
        basis = f"the {len(applied_log)} applied migration file(s) folded from an empty database"
    except FoldError as exc:
        expected = stored or empty
        basis = (f"the last stored state (the applied files do not fold from an empty database: {exc.problem})")
    changes = diff(expected, live, dialect, DiffOptions())
    lines = [f"Compared with {basis}, the database has:" if changes else
             f"The database matches {basis}: the file was generated against another state (another branch's "
             f"files, or a database this deployment never saw)."]
    lines += _grouped(changes)
    return lines


def _grouped(changes: Sequence[Change]) -> list[str]:
    lines: list[str] = []
    for kind, title in _KIND_TITLES.items():
        mine = [c for c in changes if c.kind == kind]
        if mine:
            lines.append(f"  {title}:")
            lines += [f"    {describe(change)}" for change in mine]
    return lines


# -- the partial-failure report -----------------------------------------------------------------------------


def delta_failure_report(migration: MigrationFile, lowered: Lowered, report: ExecutionReport) -> str:
    """Each delta's fate (✓ done, ✗ failed, · not run), that the file was not recorded, and how to recover."""
    failed = {f.index: f.error for f in report.failed}
    succeeded = set(report.succeeded)
    total = len(migration.deltas)
    lines = [f"Migration '{migration.id}' failed part-way: the file was NOT recorded as applied, and the database "
             f"is in a PARTIAL state (nothing is rolled back)."]
    for index, delta in enumerate(migration.deltas):
        mine = [k for k, origin in enumerate(lowered.delta_of) if origin == index]
        errors = [failed[k] for k in mine if k in failed]
        label = f"[{index + 1}/{total}] {delta.TYPE}: {delta.summary()}"
        if errors:
            lines.append(f"  ✗ {label}: {errors[0]}")
        elif mine and all(k in succeeded for k in mine):
            lines.append(f"  ✓ {label}")
        elif any(k in succeeded for k in mine):
            done = sum(k in succeeded for k in mine)
            lines.append(f"  · {label} (partly run: {done} of {len(mine)} operations)")
        else:
            lines.append(f"  · {label} (not run)")
    lines += [
        "Re-running `muskox migrate` runs the whole file again: the ✓ deltas would then fail with "
        "\"already exists\" or \"does not exist\" errors. Recover in one of two ways:",
        "  1. revert the ✓ deltas by hand, fix the cause of the ✗ one (or correct the file), and run "
        "`muskox migrate` again; or",
        f"  2. finish the ✗ and · deltas by hand, then mark the file applied: "
        f"`muskox migrate --mark-applied {migration.id}`.",
    ]
    return "\n".join(lines)


# -- marking a file applied by hand -------------------------------------------------------------------------


def mark_applied(*, config: Config, project_dir: Path, backend: Any, store: StateStore, migration_id: str,
                 progress: Callable[[str], None], target: InfraMap | None = None) -> bool:
    """Record ``migration_id`` as applied without running it (after finishing it by hand); False when it
    already was. Every file before it must be applied already."""
    directory = project_dir / config.migration_config.dir
    migrations = load_migrations(directory, backend.dialect)
    ids = [m.id for m in migrations]
    if migration_id not in ids:
        raise PlanInvalid(f"there is no migration file {migration_id}.yaml in {directory}",
                          "give the id of a committed file (its name without .yaml)")
    records = store.applied_migrations()
    applied = set(migration_ids(records))
    checksum = current_checksums(directory, [migration_id])[migration_id]
    if migration_id in applied:
        if recorded_checksums(records).get(migration_id) != checksum:  # accept the file as it is now
            store.record_applied(checksum_record(migration_id, checksum))
            progress(f"{migration_id} is already recorded as applied; its present content (sha256 "
                     f"{checksum[:12]}…) is now the applied one")
        else:
            progress(f"{migration_id} is already recorded as applied")
        return False
    earlier = [i for i in ids[: ids.index(migration_id)] if i not in applied]
    if earlier:
        raise PlanInvalid(f"{migration_id} comes after unapplied file(s) {', '.join(earlier)}",
                          "apply them (muskox migrate) or mark them applied first, in order")
    store.record_applied(checksum_record(migration_id, checksum))
    store.record_applied(migration_id)
    if target is None:
        target = load_target(config, project_dir, backend.database, backend.dialect)
    stored = store.load_state()
    known = stored
    if stored is not None:
        try:
            known = fold_migration(stored, next(m for m in migrations if m.id == migration_id))
        except FoldError:
            known = stored
    store.save_state(reconcile(known, backend.introspect(known, target), target))
    progress(f"Recorded {migration_id} as applied (not executed)")
    return True
