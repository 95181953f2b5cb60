"""``muskox generate migration``: write the reviewed plan files (or print them, without ``--save``)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.cli.findings import echo_err, findings_option, plan_gate
from muskox.cli.options import (
    DESCRIPTION,
    approval_options,
    connection_options,
    connection_overrides,
    fetch_remote,
    kafka_option,
    remote_options,
)
from muskox.cli.plan_present import presentation_options
from muskox.cli.rehearse_option import no_rehearse_option, rehearse_plan

if TYPE_CHECKING:
    from muskox.config import Config
    from muskox.model.infra_map import InfraMap
    from muskox.plan.policies.version_bumps import BumpDecision, VersionBump
    from muskox.plugin.dialect import Dialect


@click.group("generate")
def generate_group() -> None:
    """Generate migration plans and Admin API tokens."""


@generate_group.command("migration")
@connection_options
@kafka_option
@remote_options
@approval_options
@findings_option
@click.option("--save", is_flag=True, help="Write the plan files to the migrations directory "
                                           "(without it: print the plan).")
@click.option("--description", metavar="TEXT", default=None, type=DESCRIPTION,
              help="Delta mode: the new file's description, also its id's suffix (default: migration).")
@presentation_options
@no_rehearse_option
@pass_app
def migration_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, kafka_url: str | None,
                      url: str | None, token: str | None, yes_all: bool, yes_destructive: bool, yes_rename: bool,
                      no_auto_backfill_sql: bool, save: bool, description: str | None, sql: bool, fmt: str,
                      no_rehearse: bool) -> None:
    """Compare the code with the database and write a reviewable migration plan."""
    from muskox.cli.plan_output import render_listing  # the planner loads only when it runs
    from muskox.cli.plan_present import show_plan
    from muskox.cli.prompts import TerminalPrompter
    from muskox.files.json_schema import plan_schema
    from muskox.files.plan_yaml import SCHEMA_FILE, Plan, plan_to_yaml, utc_timestamp
    from muskox.files.snapshot import Snapshot, write_atomically, write_snapshot
    from muskox.plan.planner import PlanRequest, make_plan
    from muskox.plan.policies.approvals import Approvals
    from muskox.plan.workspace import gather, open_backend
    from muskox.plugin.backends import olap_dialect

    config = app.config(connection_overrides(clickhouse_url, redis_url, kafka_url))
    dialect = olap_dialect(app.plugins)
    remote = fetch_remote(url, token, clickhouse_url, dialect)
    if config.features.migrate_with_deltas:
        from muskox.cli.generate_delta import generate_delta_migration

        generate_delta_migration(app, config, yes_all=yes_all, yes_destructive=yes_destructive,
                                 yes_rename=yes_rename, no_auto_backfill_sql=no_auto_backfill_sql, save=save,
                                 description=description or "migration", remote=remote, sql=sql, fmt=fmt,
                                 rehearse=not no_rehearse)
        return
    if description is not None:
        raise click.UsageError("--description names delta-mode migration files; set "
                               "[features] migrate_with_deltas = true to use them")
    if remote is not None:
        from muskox.plan.remote_state import remote_inputs

        inputs = remote_inputs(config, app.project_dir, remote, dialect)
    else:
        with open_backend(app.plugins, config) as backend:
            inputs = gather(app.plugins, config, app.project_dir, backend)
            backend.olap.check_declarations(inputs.target)
    approvals = Approvals.from_flags(yes_all=yes_all, yes_destructive=yes_destructive, yes_rename=yes_rename,
                                     no_auto_backfill_sql=no_auto_backfill_sql, env=os.environ)
    result = make_plan(PlanRequest(current=inputs.current, target=inputs.target, dialect=inputs.dialect,
                                   approvals=approvals, normalized=inputs.normalized,
                                   interactive=output.is_terminal(),
                                   ignore_operations=frozenset(config.migration_config.ignore_operations)),
                       TerminalPrompter())
    if remote is None and not no_rehearse:  # a plan the server would refuse is never written
        rehearse_plan(app, config, result.operations, inputs.current)
    plan_gate(app, config, "generate", echo_err, yes_all=yes_all).check(
        result.operations, target=inputs.target, current=inputs.current, dialect=inputs.dialect)
    plan = Plan(created_at=utc_timestamp(), operations=result.operations)
    if sql or fmt != "text":  # the statements or the markdown on stdout, instead of the plan file's text
        show_plan(result, inputs.target, inputs.dialect, inputs.database, as_json=False, sql=sql, fmt=fmt,
                  listing_to_stderr=True)
    else:
        click.echo(render_listing(result, (), inputs.dialect), err=True)
    if not save:
        if not (sql or fmt != "text"):
            click.echo("Changes:" if not result.empty else "No changes.")
            click.echo(plan_to_yaml(plan, inputs.dialect))
        return
    target, retained = _write_retained(app, config, result.bumps, inputs.target, inputs.dialect)
    directory = app.project_dir / config.migration_config.dir
    written = write_snapshot(directory, Snapshot(plan=plan, remote_state=inputs.current, local_infra_map=target),
                             inputs.dialect)
    schema_path = directory / SCHEMA_FILE
    write_atomically(schema_path, json.dumps(plan_schema(app.plugins.operations()), indent=2) + "\n")
    for path in [*retained, *written, schema_path]:
        click.echo(f"wrote {_relative(path, app.project_dir)}")


def _write_retained(app: AppContext, config: Config, bumps: Sequence[tuple[VersionBump, BumpDecision]],
                    target: InfraMap, dialect: Dialect) -> tuple[InfraMap, list[Path]]:
    """For each old table a version bump keeps: its ``retained_<db_>table.py`` module, imported from the main
    module (spec 7.3). Returns the code's declarations read again (they now include the kept tables, as
    ``local_infra_map.json`` must for ``migrate``'s code check) and the files written."""
    paths = write_kept(app, config, bumps, dialect)
    if not paths:
        return target, []
    from muskox.plan.workspace import load_target

    return load_target(config, app.project_dir, target.default_database, dialect), paths


def write_kept(app: AppContext, config: Config, bumps: Sequence[tuple[VersionBump, BumpDecision]],
               dialect: Dialect) -> list[Path]:
    """Write the modules of the old tables version bumps keep (and say so); the files written."""
    if not any(bump.in_place and decision.retain_old for bump, decision in bumps):
        return []
    from muskox.files.retained import write_kept_tables

    paths = write_kept_tables(bumps, dialect, project_dir=app.project_dir, source_dir=config.project.source_dir,
                              main_module=config.project.main_module)
    main = Path(config.project.source_dir, config.project.main_module).as_posix()
    click.echo(f"kept {len(paths)} old table(s) as EXTERNALLY_MANAGED declarations, imported from {main}", err=True)
    return paths


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


@generate_group.command("hash-token")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"api_key_hash": …, "bearer_token": …} on stdout instead of the explanation.')
def hash_token_command(as_json: bool) -> None:
    """Create an Admin API token: a key hash for the server and a bearer token for clients (Moose's scheme)."""
    from muskox.server.tokens import generate_token

    pair = generate_token()
    if as_json:
        output.emit_json({"api_key_hash": pair.api_key_hash, "bearer_token": pair.bearer_token})
        return
    click.echo(f"ENV API Key: {pair.api_key_hash}")
    click.echo("  for the server: [authentication] admin_api_key in muskox.toml, or "
               "MUSKOX_AUTHENTICATION__ADMIN_API_KEY")
    click.echo(f"Bearer Token: {pair.bearer_token}")
    click.echo("  for clients: Authorization: Bearer <token>, or `--token` / MUSKOX_ADMIN_TOKEN for "
               "`muskox plan --url` and `muskox generate migration --url`")
