"""Showing a fresh plan in the form asked for: the listing, ``--json``, ``--sql`` or ``--format markdown``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from muskox.cli import output

if TYPE_CHECKING:  # the planner loads only when a plan is made, not when the CLI starts
    from muskox.model.infra_map import InfraMap
    from muskox.plan.checks import PluginFinding
    from muskox.plan.planner import PlanResult
    from muskox.plugin.dialect import Dialect

FORMATS = ("text", "markdown")

F = TypeVar("F", bound=Callable[..., Any])


def presentation_options(function: F) -> F:
    """``--sql`` and ``--format`` (the command declares ``--json`` itself)."""
    function = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                            help="markdown: the plan as a pull-request comment (summary, risk table, "
                                 "collapsible operations and SQL).")(function)
    return click.option("--sql", "sql", is_flag=True,
                        help="Print the exact statements `migrate` would send, in order, with the settings it "
                             "sets (with --json: a \"statements\" list).")(function)


def check_presentation(as_json: bool, fmt: str) -> None:
    """Refuse combinations that mean nothing."""
    if as_json and fmt != "text":
        raise click.UsageError("--json and --format markdown are two different outputs: choose one")


def show_plan(result: PlanResult, target: InfraMap, dialect: Dialect, default_database: str, *, as_json: bool,
              sql: bool, fmt: str, listing_to_stderr: bool = False, findings: Sequence[PluginFinding] = (),
              nodes: Mapping[str, Any] | None = None) -> None:
    """Print ``result`` as asked (stdout; with ``listing_to_stderr`` the text listing goes to stderr, as
    ``generate migration`` prints the plan file itself on stdout). ``nodes``: the OLAP backend's
    ``node_states()``, the ``nodes`` section of ``--json`` when not None."""
    from muskox.cli.plan_output import plan_json, render_listing
    from muskox.cli.plan_sql import plan_statements, sql_json, sql_script

    planned = plan_statements(result.operations, dialect, default_database) if sql or fmt == "markdown" else None
    if as_json:
        document = plan_json(result, target, dialect, findings)
        if planned is not None:
            document["statements"] = sql_json(planned)
        if nodes is not None:
            document["nodes"] = nodes
        output.emit_json(document)
        return
    if fmt == "markdown":
        from muskox.cli.plan_markdown import render_markdown
        from muskox.plan.explain import explain_plan

        click.echo(render_markdown(result, explain_plan(result.operations, dialect), planned, dialect,
                                   default_database, findings), nl=False)
        return
    click.echo(render_listing(result, target.recorded.values(), dialect), err=listing_to_stderr or sql)
    for finding in findings:
        click.echo(f"plan check: {finding.line()}", err=True)
    if planned is not None:
        click.echo(sql_script(planned, dialect, default_database), nl=False)
