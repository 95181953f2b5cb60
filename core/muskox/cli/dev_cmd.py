"""``muskox dev``: watch the code and keep the development database equal to it (see :mod:`muskox.dev`)."""

from __future__ import annotations

import os

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.cli.findings import echo_err, findings_option, plan_gate
from muskox.cli.options import approval_options, connection_options, connection_overrides, kafka_option
from muskox.exit_codes import ExitCode


@click.command("dev")
@connection_options
@kafka_option
@approval_options
@click.option("--save-plan", "save_plan", is_flag=True,
              help="After each applied change, write its plan files to the migrations directory (as `generate "
                   "migration --save` does); without it dev never writes there.")
@findings_option
@pass_app
def dev_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, kafka_url: str | None,
                yes_all: bool, yes_destructive: bool, yes_rename: bool, no_auto_backfill_sql: bool,
                save_plan: bool) -> int:
    """Apply the code to a development database, then re-apply on every save until Ctrl-C.

    Without a configured server URL it starts (or reuses) the local server of `muskox local`. Renames and
    destructive changes are asked about at a terminal (or follow --yes-*); without either they are skipped.
    """
    from muskox.dev.cycle import DevSettings  # the planner, drivers and watcher load only when it runs
    from muskox.dev.session import DevRun, run_dev
    from muskox.plan.policies.approvals import Approvals

    config = app.config(connection_overrides(clickhouse_url, redis_url, kafka_url))
    approvals = Approvals.from_flags(yes_all=yes_all, yes_destructive=yes_destructive, yes_rename=yes_rename,
                                     no_auto_backfill_sql=no_auto_backfill_sql, env=os.environ)
    settings = DevSettings(
        approvals=approvals, interactive=output.is_terminal(),
        ignore_operations=frozenset(config.migration_config.ignore_operations),
        parallelism=config.migration_config.parallelism,
        save_plan_dir=app.project_dir / config.migration_config.dir if save_plan else None,
        plan_gate=plan_gate(app, config, "dev", echo_err, yes_all=yes_all),
    )
    run_dev(DevRun(plugins=app.plugins, config=config, project_dir=app.project_dir, config_file=app.config_file,
                   tenant=app.tenant), settings)
    return ExitCode.OK
