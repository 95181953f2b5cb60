"""``muskox migrate``: apply the reviewed plan (or, in delta mode, the unapplied migration files) under the lock."""

from __future__ import annotations

import click

from muskox.cli.context import AppContext, pass_app
from muskox.cli.findings import findings_option, yes_findings
from muskox.cli.options import connection_options, connection_overrides, kafka_option
from muskox.cli.progress_bar import StatusLines
from muskox.cli.stoppable import completed_despite, run_stoppable
from muskox.exit_codes import ExitCode


@click.command("migrate")
@connection_options
@kafka_option
@click.option("--validate", is_flag=True,
              help="Check the migration files without a database: delta mode folds every file from an empty "
                   "state and looks for conflicting files; snapshot mode checks plan.yaml reaches "
                   "local_infra_map.json from remote_state.json. Exit 7 on a problem.")
@click.option("--mark-applied", "mark_applied", metavar="ID",
              help="Delta mode: record migration file ID as applied without running it (after finishing a "
                   "failed file by hand).")
@click.option("--resume", is_flag=True,
              help="Snapshot mode: finish a plan an earlier run applied part-way, running exactly the "
                   "operations not recorded as done (after checking the database is where those leave it).")
@click.option("--no-rehearse", "no_rehearse", is_flag=True,
              help="Do not rehearse the plan on empty copies of its tables before running it.")
@findings_option
@pass_app
def migrate_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, kafka_url: str | None,
                    validate: bool, mark_applied: str | None, resume: bool, no_rehearse: bool) -> int:
    """Apply migrations/plan.yaml (delta mode: the unapplied migration files) if the database has not drifted."""
    from muskox.apply.snapshot import migrate_snapshot  # the planner and drivers load only when it runs
    from muskox.plan.workspace import load_target, open_backend
    from muskox.state import default_owner, open_state_store

    config = app.config(connection_overrides(clickhouse_url, redis_url, kafka_url))
    deltas = config.features.migrate_with_deltas
    if validate:
        from muskox.cli.validate_output import run_validation

        return run_validation(app, config, quiet=app.verbosity < 0)
    if mark_applied is not None and not deltas:
        raise click.UsageError("--mark-applied is for delta mode ([features] migrate_with_deltas = true)")
    if resume and deltas:
        raise click.UsageError("--resume is for snapshot mode: in delta mode a failed file is finished by hand and "
                               "recorded with --mark-applied")

    status = StatusLines.for_stderr(verbosity=app.verbosity)
    progress = status.line

    approve_findings = yes_findings() or None  # None: MUSKOX_ACCEPT_FINDINGS decides

    def work() -> None:
        store = open_state_store(config, app.plugins, project_dir=app.project_dir)
        with store, open_backend(app.plugins, config) as backend:
            # the project's code runs before the lock is taken: an exit it makes cannot leave the lock held
            target = load_target(config, app.project_dir, backend.database, backend.dialect)
            with store.acquire_lock(default_owner()) as lock:
                progress(f"Acquired the migration lock ({lock.info.owner})")
                if deltas:
                    from muskox.apply.deltas import mark_applied as mark
                    from muskox.apply.deltas import migrate_deltas

                    if mark_applied is not None:
                        mark(config=config, project_dir=app.project_dir, backend=backend, store=store,
                             migration_id=mark_applied, progress=progress, target=target)
                    else:
                        migrate_deltas(config=config, project_dir=app.project_dir, backend=backend, store=store,
                                       progress=progress, lock=lock, advanced=status.advanced, target=target,
                                       rehearse=not no_rehearse, plugins=app.plugins,
                                       approve_findings=approve_findings)
                else:
                    migrate_snapshot(plugins=app.plugins, config=config, project_dir=app.project_dir,
                                     backend=backend, store=store, progress=progress, advanced=status.advanced,
                                     target=target, resume=resume, rehearse=not no_rehearse,
                                     approve_findings=approve_findings)

    _, stop = run_stoppable(work)  # SIGTERM/SIGINT: stop scheduling, record, unlock, report (exit 143/130)
    if stop.requested:
        progress(completed_despite(stop))
        return stop.exit_code
    return ExitCode.OK
