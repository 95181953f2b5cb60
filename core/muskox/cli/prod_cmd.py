"""``muskox prod [-- CMD ARGS…]``: migrate the database to the code, then serve (and run the application).

    reserve the HTTP port → boot migration (see :mod:`muskox.server.boot`) → serve /health and the Admin API
    → run CMD (signals forwarded; exit with its code) or wait for SIGTERM/SIGINT → stop serving

When the boot migration fails, nothing is served, CMD is never started, and the exit code says why (8 drift,
7 plan mismatch, 11 migration error, 10 destructive changes without a plan, 9 lock).
"""

from __future__ import annotations

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.cli.findings import findings_option, yes_findings
from muskox.cli.options import LOCK_WAIT, connection_options, connection_overrides, kafka_option
from muskox.cli.stoppable import completed_despite, run_stoppable
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode

DEFAULT_LOCK_WAIT = 600.0


@click.command("prod", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@connection_options
@kafka_option
@click.option("--lock-wait", "lock_wait", type=LOCK_WAIT, default=DEFAULT_LOCK_WAIT,
              show_default=True, metavar="SECONDS",
              help="How long to wait for the migration lock while another replica migrates.")
@findings_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="[-- CMD ARGS...]")
@pass_app
def prod_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, kafka_url: str | None,
                 lock_wait: float, command: tuple[str, ...]) -> int:
    """Migrate the database to the code, then serve /health and the Admin API (and run CMD, if given).

    With migrations/plan.yaml the reviewed plan is applied (after the code-consistency and drift checks); in
    delta mode the unapplied migration files; without a plan, the diff unless it is destructive
    ([migration_config] prod_auto_allow_destructive opts out of that gate).
    """
    from muskox.plan.workspace import open_backend
    from muskox.server.admin_api import AdminApi
    from muskox.server.boot import BootResult, LiveState, boot, startup_failure
    from muskox.server.http_server import ProdServer
    from muskox.server.supervise import run_child, wait_for_stop
    from muskox.state import default_owner, open_state_store

    config = app.config(connection_overrides(clickhouse_url, redis_url, kafka_url))
    approve_findings = yes_findings() or None  # None: MUSKOX_ACCEPT_FINDINGS decides

    def progress(line: str) -> None:
        output.info(line, quiet=app.verbosity < 0)

    server = ProdServer(config.http_server_config.host, config.http_server_config.port)
    try:
        server.reserve()
        try:
            store = open_state_store(config, app.plugins, project_dir=app.project_dir)

            def migrate() -> BootResult:
                with store, open_backend(app.plugins, config) as backend:
                    return boot(plugins=app.plugins, config=config, project_dir=app.project_dir, backend=backend,
                                store=store, owner=default_owner(), lock_wait=lock_wait, progress=progress,
                                approve_findings=approve_findings)

            # SIGTERM/SIGINT during the boot migration: stop scheduling, record, unlock, report (exit 143/130)
            result, stop = run_stoppable(migrate)
            if stop.requested:
                progress(completed_despite(stop) + "; nothing is served and CMD is not started")
                return int(stop.exit_code)
        except MuskoxError as exc:
            output.error(exc.one_line())
            output.error(startup_failure(exc))
            return int(exc.exit_code)
        key = config.authentication.admin_api_key
        server.start(AdminApi(LiveState(app.plugins, config, app.project_dir, result.target), key))
        if not key:
            output.warning("[authentication] admin_api_key is not set: the Admin API refuses every request "
                           "(create a key with `muskox generate hash-token`)")
        progress(f"Boot migration done ({result.describe()}); serving {server.url} (GET /health, "
                 f"GET /admin/inframap, POST /admin/plan)")
        if command:
            progress(f"Starting {command[0]}")
            return run_child(command, on_stop=lambda signum: server.draining())
        wait_for_stop(on_stop=lambda signum: server.draining())
        progress("Stopping")
        return ExitCode.OK
    finally:
        server.stop()

