"""``muskox generate migration`` in delta mode (``features.migrate_with_deltas = true``): one new file per run.

With ``--save`` it writes ``migrations/<id>.yaml``; without, it prints a numbered summary of the deltas.
When the code already matches (the database with the committed, unapplied files), it writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from muskox.cli import output
from muskox.cli.context import AppContext
from muskox.config import Config
from muskox.files.delta import MigrationFile

if TYPE_CHECKING:
    from muskox.plan.remote_state import RemoteState


def generate_delta_migration(app: AppContext, config: Config, *, yes_all: bool, yes_destructive: bool,
                             yes_rename: bool, no_auto_backfill_sql: bool, save: bool, description: str,
                             remote: RemoteState | None = None, sql: bool = False, fmt: str = "text",
                             rehearse: bool = True) -> None:
    """Plan the code against the pending state and write (or show) the new migration file (``remote``: the
    state and applied files a running ``muskox prod`` reported, instead of the database and state store). With
    ``rehearse``, the file's operations are first rehearsed on the server when no committed file is pending."""
    from muskox.apply.plan_record import migration_ids
    from muskox.cli.plan_output import render_listing
    from muskox.cli.prompts import TerminalPrompter
    from muskox.files.delta import load_migrations, write_migration
    from muskox.plan.delta_generate import migration_for_plan, pending_state
    from muskox.plan.planner import PlanRequest, make_plan
    from muskox.plan.policies.approvals import Approvals
    from muskox.plan.workspace import gather, open_backend
    from muskox.plugin.backends import olap_dialect
    from muskox.state import open_state_store

    directory = app.project_dir / config.migration_config.dir
    dialect = olap_dialect(app.plugins)
    committed = load_migrations(directory, dialect)
    if remote is not None:
        from muskox.plan.remote_state import remote_applied, remote_inputs

        inputs = remote_inputs(config, app.project_dir, remote, dialect)
        applied = remote_applied(remote)
    else:
        with open_backend(app.plugins, config) as backend:
            inputs = gather(app.plugins, config, app.project_dir, backend)
        with open_state_store(config, app.plugins, project_dir=app.project_dir, dialect=dialect) as store:
            applied = migration_ids(store.applied_migrations())
    pending = pending_state(inputs.current, committed, applied, dialect)
    for line in pending.warnings:
        output.warning(line)
    if pending.unapplied:
        output.info(f"Planning on top of {len(pending.unapplied)} committed migration file(s) not applied yet: "
                    + ", ".join(m.id for m in pending.unapplied))
    approvals = Approvals.from_flags(yes_all=yes_all, yes_destructive=yes_destructive, yes_rename=yes_rename,
                                     no_auto_backfill_sql=no_auto_backfill_sql, env=os.environ)
    result = make_plan(PlanRequest(current=pending.state, target=inputs.target, dialect=dialect, approvals=approvals,
                                   interactive=output.is_terminal(), normalized=inputs.normalized,
                                   ignore_operations=frozenset(config.migration_config.ignore_operations)),
                       TerminalPrompter())
    migration = migration_for_plan(result, pending, inputs.target, description=description)
    if migration is None:
        click.echo(render_listing(result, (), dialect), err=True)
        click.echo("No changes.")
        return
    from muskox.cli.findings import echo_err, plan_gate

    plan_gate(app, config, "generate", echo_err, yes_all=yes_all).check(
        result.operations, target=inputs.target, current=pending.state, dialect=dialect)
    if rehearse and remote is None and not pending.unapplied:  # the database is the state the file starts from
        from muskox.cli.rehearse_option import rehearse_plan
        from muskox.files.delta_operations import lower_migration

        rehearse_plan(app, config, lower_migration(migration, pending.state)[0].operations, pending.state)
    if sql or fmt != "text":  # what migrate runs for the file: its deltas lowered on the pending state
        from muskox.cli.plan_present import show_plan
        from muskox.files.delta_operations import lower_migration

        lowered, _after = lower_migration(migration, pending.state)
        shown = attrs.evolve(result, operations=lowered.operations)
        show_plan(shown, inputs.target, dialect, inputs.database, as_json=False, sql=sql, fmt=fmt,
                  listing_to_stderr=True)
    else:
        click.echo(render_listing(result, (), dialect), err=True)
        if not save:
            click.echo(render_summary(migration))
    if not save:
        return
    from muskox.cli.generate_cmd import write_kept

    kept = write_kept(app, config, result.bumps, dialect)  # later plans see them declared: no delta needed
    path = write_migration(directory, migration, dialect)
    for written in [*kept, path]:
        click.echo(f"wrote {_relative(written, app.project_dir)}")


def render_summary(migration: MigrationFile) -> str:
    """``Changes:`` and one numbered line per delta, with the file that ``--save`` would write."""
    lines = [f"Changes ({len(migration.deltas)} delta(s); `--save` writes {migration.file_name}, "
             f"parent state {migration.parent_state_hash[:12]}):"]
    width = len(str(len(migration.deltas)))
    lines += [f"  {index:>{width}}. {delta.TYPE}: {delta.summary()}"
              for index, delta in enumerate(migration.deltas, 1)]
    return "\n".join(lines)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)
