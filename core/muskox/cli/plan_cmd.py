"""``muskox plan``: a read-only preview of what migrating would do."""

from __future__ import annotations

import click

from muskox.cli.context import AppContext, pass_app
from muskox.cli.options import connection_options, connection_overrides, fetch_remote, kafka_option, remote_options
from muskox.cli.plan_present import check_presentation, presentation_options, show_plan
from muskox.exit_codes import ExitCode


@click.command("plan")
@connection_options
@kafka_option
@remote_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option("--exit-code", "exit_code", is_flag=True,
              help=f"Exit {int(ExitCode.OK)} when there are no changes, {int(ExitCode.CHANGES_PENDING)} when "
                   f"there are (for CI).")
@presentation_options
@pass_app
def plan_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, kafka_url: str | None,
                 url: str | None, token: str | None, as_json: bool, exit_code: bool, sql: bool, fmt: str) -> int:
    """Show the changes that would bring the database to the code (nothing is written)."""
    from muskox.gc_pause import collector_off_until_exit
    from muskox.plan.planner import PlanRequest, make_plan
    from muskox.plan.workspace import gather, open_backend
    from muskox.plugin.backends import olap_dialect

    check_presentation(as_json, fmt)
    collector_off_until_exit()
    config = app.config(connection_overrides(clickhouse_url, redis_url, kafka_url))
    dialect = olap_dialect(app.plugins)
    remote = fetch_remote(url, token, clickhouse_url, dialect)
    nodes = None  # with --json, each node of a backend spread over several servers
    if remote is not None:
        from muskox.plan.remote_state import remote_inputs

        inputs = remote_inputs(config, app.project_dir, remote, dialect)
    else:
        with open_backend(app.plugins, config) as backend:
            inputs = gather(app.plugins, config, app.project_dir, backend)
            backend.olap.check_declarations(inputs.target)
            nodes = backend.olap.node_states() if as_json else None
    result = make_plan(PlanRequest(current=inputs.current, target=inputs.target, dialect=inputs.dialect,
                                   gate=False, normalized=inputs.normalized,
                                   ignore_operations=frozenset(config.migration_config.ignore_operations)))
    from muskox.plan.checks import PlanCheck, check_plan

    findings = check_plan(app.plugins, PlanCheck(operations=result.operations, target=inputs.target,
                                                 current=inputs.current, tenant=config.tenant, command="plan",
                                                 dialect=inputs.dialect, config=config)) if result.operations else []
    show_plan(result, inputs.target, inputs.dialect, inputs.database, as_json=as_json, sql=sql, fmt=fmt,
              findings=findings, nodes=nodes)
    if exit_code and not result.empty:
        return ExitCode.CHANGES_PENDING
    return ExitCode.OK
