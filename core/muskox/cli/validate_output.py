"""``muskox migrate --validate``: run the mode's validation (no database) and show its report."""

from __future__ import annotations

import click

from muskox.cli import output
from muskox.cli.context import AppContext
from muskox.config import Config
from muskox.errors import PlanInvalid
from muskox.exit_codes import ExitCode


def run_validation(app: AppContext, config: Config, *, quiet: bool = False) -> int:
    """Validate the delta files (delta mode) or the snapshot files; problems exit with ``PLAN_INVALID``."""
    from muskox.files.validate import validate_deltas, validate_snapshot
    from muskox.plugin.backends import olap_dialect

    directory = app.project_dir / config.migration_config.dir
    dialect = olap_dialect(app.plugins)
    if config.features.migrate_with_deltas:
        report = validate_deltas(directory, config.clickhouse_config.db_name, dialect)
        fix = ("for two conflicting files, keep one, merge the code, move the other out of the migrations directory "
               "and regenerate it (muskox generate migration --save); correct or regenerate a file that does "
               "not fold")
    else:
        report = validate_snapshot(directory, app.plugins.operations(), dialect,
                                   config.migration_config.ignore_operations)
        fix = "regenerate the plan with `muskox generate migration --save` and commit the three files together"
    for line in report.warnings:
        output.warning(line)
    for line in report.notes:
        output.info(line, quiet=quiet)
    if not report.ok:
        raise PlanInvalid(f"validation failed: {report.checked}", fix, problems=list(report.problems))
    click.echo(f"Valid: {report.checked}")
    return ExitCode.OK
