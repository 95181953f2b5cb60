"""``muskox migrate``: apply the reviewed plan under the migration lock."""

from __future__ import annotations

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.cli.options import connection_options, connection_overrides
from muskox.exit_codes import ExitCode


@click.command("migrate")
@connection_options
@pass_app
def migrate_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None) -> int:
    """Apply migrations/plan.yaml if the database has not drifted since it was generated."""
    from muskox.migrate import migrate_snapshot  # the planner and drivers load only when it runs
    from muskox.state import default_owner
    from muskox.workspace import open_backend

    config = app.config(connection_overrides(clickhouse_url, redis_url))

    def progress(line: str) -> None:
        output.info(line, quiet=app.verbosity < 0)

    store = app.plugins.state_store(config.state_config.storage).from_config(config, project_dir=app.project_dir)
    with store, open_backend(app.plugins, config) as backend, store.acquire_lock(default_owner()) as lock:
        progress(f"Acquired the migration lock ({lock.info.owner})")
        migrate_snapshot(plugins=app.plugins, config=config, project_dir=app.project_dir, backend=backend,
                         store=store, progress=progress)
    return ExitCode.OK
