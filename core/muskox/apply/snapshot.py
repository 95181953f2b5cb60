"""Applying a reviewed plan (snapshot mode, spec section 5).

    lock → load the plan files → drift check (3-way) → code-consistency check → execute → store state → unlock

Each step either passes or stops everything with one clear error; nothing is executed after a failed check.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from muskox.apply.drift import DriftOutcome, check_code_consistency, check_drift, raise_drift
from muskox.apply.executor import Advanced, ExecutionReport, execute, failure_report
from muskox.config import Config
from muskox.errors import MuskoxError, PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.files.plan_yaml import PLAN_FILE
from muskox.files.snapshot import read_snapshot
from muskox.files.validate import check_snapshot
from muskox.model.infra_map import InfraMap
from muskox.plan.reconcile import applied_state, reconcile
from muskox.plan.workspace import load_target
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
    ALREADY_AT_TARGET = "already_at_target"
    NOTHING_TO_DO = "nothing_to_do"


@attrs.frozen
class MigrateResult:
    """What ``migrate`` did."""

    outcome: MigrateOutcome
    report: ExecutionReport | None = None


PLAN_FIX = ("remove the refused operations from plan.yaml, or change the code (its lifecycle or its declarations) and "
            f"regenerate the plan ({REGENERATE})")

RECOVERY = (
    "read the error of the failed operation above and fix its cause (data that does not convert, a missing "
    "privilege, a server limit)",
    f"regenerate the plan against the database as it is now ({REGENERATE}): the operations that succeeded are "
    "part of the new remote_state.json, so the new plan contains only what is left",
    "review the new plan, commit it, and run `muskox migrate` again (nothing is rolled back automatically)",
)


def migrate_snapshot(*, plugins: Plugins, config: Config, project_dir: Path, backend: Any, store: StateStore,
                     progress: Callable[[str], None], advanced: Advanced | None = None) -> MigrateResult:
    """Apply ``migrations/plan.yaml`` if the database is still as the plan expects (the caller holds the lock).

    ``progress`` receives the status lines, ``advanced`` the count of finished operations (see
    :func:`muskox.apply.executor.execute`)."""
    backend.prefetch()  # under the lock: the server reads its schema while the plan, code and state are read
    directory = project_dir / config.migration_config.dir
    dialect = backend.dialect
    snapshot = read_snapshot(directory, plugins.operations(), dialect)
    ignore = frozenset(config.migration_config.ignore_operations)
    database: str = backend.database
    target = load_target(config, project_dir, database, dialect)
    stored = store.load_state()
    current = reconcile(stored, backend.introspect(stored, target, snapshot.remote_state), target)

    outcome = check_drift(current, snapshot.remote_state, target, dialect, ignore)
    if outcome is DriftOutcome.DRIFT:
        raise_drift(snapshot.remote_state, current, REGENERATE, dialect, ignore)
    if outcome is DriftOutcome.ALREADY_AT_TARGET:
        progress("Database already matches the target state - skipping migration")
        _save(store, stored, _applied_state(backend, stored, target))
        return MigrateResult(MigrateOutcome.ALREADY_AT_TARGET)
    check_code_consistency(snapshot.local_infra_map, target, dialect, ignore)
    checked = check_snapshot(snapshot, directory, dialect, ignore)
    if checked.problems:  # a hand edit that breaks a lifecycle rule or does not reach the code: nothing runs
        raise PlanInvalid(f"{PLAN_FILE} was not applied: nothing was executed", PLAN_FIX,
                          problems=list(checked.problems))
    if not snapshot.plan.operations:
        progress("No operations to apply - the database is already up to date")
        _save(store, stored, _applied_state(backend, stored, target))
        return MigrateResult(MigrateOutcome.NOTHING_TO_DO)

    report = execute(snapshot.plan.operations, backend.apply, parallelism=config.migration_config.parallelism,
                     progress=progress, advanced=advanced)
    if not report.ok:
        raise ApplyFailed(failure_report(report, RECOVERY))
    store.save_state(_applied_state(backend, stored, target))
    progress(f"Applied {len(report.succeeded)} operation(s) in {report.seconds:.1f} s")
    return MigrateResult(MigrateOutcome.APPLIED, report)


def _save(store: StateStore, stored: InfraMap | None, state: InfraMap) -> None:
    """Store ``state`` unless the store already holds exactly it (re-runs do not grow the state history)."""
    if stored is None or stored != state:
        store.save_state(state)


def _applied_state(backend: Any, stored: InfraMap | None, target: InfraMap) -> InfraMap:
    """What to remember: the database as it is now, limited to what muskox manages (what it managed before and
    still exists — e.g. a protected table the code no longer declares — and what the code declares)."""
    return applied_state(stored, backend.introspect(stored, target), target)
