"""``muskox db pull``: write Python declarations for the tables, views and dictionaries a database holds."""

from __future__ import annotations

import types
from pathlib import Path

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.cli.options import connection_overrides
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode

DEFAULT_OUTPUT = "pulled.py"
"""The module written inside the project's ``source_dir`` when ``--output`` is not given."""


@click.group("db")
def db_group() -> None:
    """Work with an existing database."""


@db_group.command("pull")
@click.option("--clickhouse-url", metavar="URL",
              help="ClickHouse to read: http(s)://user:pass@host:port/db or clickhouse://… "
                   "(overrides [clickhouse_config]).")
@click.option("--database", metavar="DB", help="Database to read (default: the project's database).")
@click.option("--tables", "pattern", metavar="PATTERN",
              help="Only tables and views whose name matches this glob (e.g. 'events_*'); the target tables of "
                   "the materialized views chosen come along.")
@click.option("--externally-managed", is_flag=True,
              help="Declare tables, materialized views and dictionaries EXTERNALLY_MANAGED: muskox never touches "
                   "them.")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Module to write (default: <source_dir>/{DEFAULT_OUTPUT}, relative to the project).")
@click.option("--force", is_flag=True, help="Replace the module when it exists.")
@pass_app
def pull_command(app: AppContext, clickhouse_url: str | None, database: str | None, pattern: str | None,
                 externally_managed: bool, output_path: Path | None, force: bool) -> int:
    """Read the tables, views, materialized views and dictionaries of a database and write declarations that
    collect back to exactly what it holds (the next `muskox plan` is empty); the main module imports them."""
    import attrs

    from muskox.files.pull import module_name, pull_source, select, write_pull
    from muskox.model.resources import MaterializedView, View
    from muskox.model.table import LifeCycle, Table
    from muskox.plan.workspace import load_target, open_backend

    config = app.config(connection_overrides(clickhouse_url, None))
    project = app.project_dir
    source_dir = project / config.project.source_dir
    main = source_dir / config.project.main_module
    target_path = source_dir / DEFAULT_OUTPUT if output_path is None else project / output_path
    module = module_name(project, target_path)
    if target_path.exists() and not force:
        raise MuskoxError(f"{_shown(project, target_path)} already exists; muskox db pull never overwrites a file "
                          "unless asked", "pass --force to replace it, or --output another.py",
                          exit_code=ExitCode.USAGE)
    with open_backend(app.plugins, config) as backend:
        default_database = backend.database
        pulled_database = database or default_database
        dialect = backend.dialect
        reality = backend.olap.introspect([pulled_database])
    reality = attrs.evolve(reality, dictionaries={key: dialect.describe_dictionary(d)
                                                  for key, d in reality.dictionaries.items()})
    declared: set[tuple[str, str]] = set()
    if main.is_file():
        code = load_target(config, project, default_database, dialect)
        own = target_path.resolve()
        resources: list[Table | View | MaterializedView] = [*code.tables.values(), *code.views.values(),
                                                             *code.materialized_views.values()]
        declared = {((r.database or default_database), r.name) for r in resources
                    if not _declared_in(r.metadata, project, own)}
        declared |= {((d.database or default_database), d.name) for d in code.dictionaries.values()
                     if not _declared_in(_dictionary_metadata(d.encoding), project, own)}
    selection = select(reality, pattern=pattern, declared=declared, default_database=default_database)
    life_cycle = LifeCycle.EXTERNALLY_MANAGED if externally_managed else LifeCycle.FULLY_MANAGED
    left_out: list[str] = []
    source = pull_source(selection, dialect, database=pulled_database, default_database=default_database,
                         life_cycle=life_cycle, left_out=left_out)
    added = write_pull(source, project_dir=project, output=target_path, main=main)
    for line in (*selection.skipped, *left_out):
        output.warning(f"left out {line}")
    summary = selection.summary(len(selection.dictionaries) - len(left_out))
    click.echo(f"wrote {_shown(project, target_path)}: {summary} from database {pulled_database!r}"
               + (" (EXTERNALLY_MANAGED)" if externally_managed else ""))
    if added:
        click.echo(f"added `import {module}` to {_shown(project, main)}")
    if pulled_database != default_database and pulled_database not in config.clickhouse_config.additional_databases:
        output.warning(f"add {pulled_database!r} to [clickhouse_config] additional_databases in muskox.toml, so "
                       "that plans read that database")
    return ExitCode.OK


def _declared_in(metadata: object, project: Path, path: Path) -> bool:
    """Whether a resource's metadata says it was declared in the file ``path``."""
    source = getattr(metadata, "source", None)
    file = getattr(source, "file", None)
    return isinstance(file, str) and (project / file).resolve() == path


def _dictionary_metadata(encoding: dict[str, object]) -> object:
    """A dictionary's metadata (Moose's encoding: ``{"source": {"file": …}}``) as :func:`_declared_in` reads it."""
    metadata = encoding.get("metadata")
    source = metadata.get("source") if isinstance(metadata, dict) else None
    file = source.get("file") if isinstance(source, dict) else None
    return types.SimpleNamespace(source=types.SimpleNamespace(file=file))


def _shown(project: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(path)
