"""``--format markdown``: a plan as a pull-request comment (summary, risk table, collapsible details and SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from muskox.cli.plan_output import render_listing, symbol
from muskox.cli.plan_sql import OperationSql, sql_script
from muskox.plan.explain import Explanation
from muskox.plan.planner import PlanResult
from muskox.plugin.dialect import Dialect

if TYPE_CHECKING:
    from muskox.plan.checks import PluginFinding


def render_markdown(result: PlanResult, explained: Sequence[Explanation], planned: Sequence[OperationSql] | None,
                    dialect: Dialect, default_database: str, findings: Sequence[PluginFinding] = ()) -> str:
    """The plan in GitHub-flavoured Markdown (``planned``: the statements, when the backend can show them;
    ``findings``: what plugins' plan checks reported, as a table after the summary)."""
    if result.empty:
        lines = ["### muskox plan", "", "No changes: the database matches the code.", ""]
        return "\n".join(lines + _findings(findings)).rstrip("\n") + "\n"
    counts = {s: sum(symbol(op) == s for op in result.operations) for s in "+~-"}
    risky = [item for item in explained if item.risks]
    lines = ["### muskox plan", "",
             f"**{counts['+']} to add, {counts['~']} to change, {counts['-']} to drop** — "
             f"{len(result.operations)} operation(s), "
             f"{sum(item.level == 'destructive' for item in explained)} destructive, "
             f"{sum(item.level == 'risky' for item in explained)} risky", ""]
    if risky:
        lines += ["| # | Operation | Risk | Data impact |", "|---|---|---|---|"]
        for item in risky:
            codes = ", ".join(_BACKTICK + code + _BACKTICK for code in item.risks)
            impact = _cell(item.impact or "")
            lines.append(f"| {item.index} | {_cell(item.operation.describe())} | {codes} | {impact} |")
        lines.append("")
    lines += _findings(findings)
    if result.blocked:
        lines += ["**Blocked by lifecycle (not applied):**", ""]
        lines += [f"- {_cell(blocked.reason)}" for blocked in result.blocked]
        lines.append("")
    listing = click.unstyle(render_listing(result, (), dialect))
    lines += _details("Operations", "text", listing)
    if planned is not None:
        count = sum(len(item.statements) for item in planned)
        lines += _details(f"SQL ({count} statement(s))", "sql", sql_script(planned, dialect, default_database))
    return "\n".join(lines) + "\n"


_BACKTICK = chr(96)  # Markdown's code mark (spelled out: the core's strings never quote SQL identifiers)


def _findings(findings: Sequence[PluginFinding]) -> list[str]:
    """The plan checks' findings as a table (errors first), or nothing when there are none."""
    if not findings:
        return []
    errors = sum(found.finding.severity.value == "error" for found in findings)
    lines = [f"**Plan checks: {errors} error(s), {len(findings) - errors} warning(s)**", "",
             "| Severity | Code | Plugin | Subject | Message |", "|---|---|---|---|---|"]
    ordered = sorted(findings, key=lambda found: found.finding.severity.value != "error")
    for found in ordered:
        item = found.finding
        code = _BACKTICK + item.code + _BACKTICK
        lines.append(f"| {item.severity.value} | {code} | {_cell(found.plugin)} | {_cell(item.subject or '')} | "
                     f"{_cell(item.message)} |")
    return [*lines, ""]


def _details(summary: str, language: str, body: str) -> list[str]:
    fence = _BACKTICK * 3
    while fence in body:  # a longer fence than any run of backticks inside
        fence += _BACKTICK
    return [f"<details><summary>{summary}</summary>", "", f"{fence}{language}", body.rstrip("\n"), fence, "",
            "</details>", ""]


def _cell(text: str) -> str:
    """``text`` safe in a table cell: pipes escaped, one line."""
    return " ".join(text.split()).replace("|", "\\|")
