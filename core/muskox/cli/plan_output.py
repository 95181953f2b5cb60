"""Showing a plan to people (a colored ``+ / - / ~`` listing) and to machines (JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from muskox.files.operation_codec import operation_to_json
from muskox.model.codec import model_codec
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation
from muskox.model.recorded import RecordedResource
from muskox.plan.explain import RISK_LEVELS, Explanation, explain_plan
from muskox.plan.planner import PlanResult
from muskox.plugin.dialect import Dialect

if TYPE_CHECKING:
    from muskox.plan.checks import PluginFinding


def symbol(operation: Operation) -> str:
    """``+`` creates, ``-`` drops, ``~`` changes."""
    name = type(operation).__name__
    if name.startswith(("Create", "Add")):
        return "+"
    if name.startswith(("Drop", "Remove")):
        return "-"
    return "~"


_COLORS = {"+": "green", "-": "red", "~": "yellow"}


def render_listing(result: PlanResult, recorded: Iterable[RecordedResource] = (),
                   dialect: Dialect | None = None) -> str:
    """The human view: one line per operation (with ``dialect``: its columns and types, ``before → after`` for
    what changes, the data impact and the risk codes below it), then blocked changes and warnings, then (once
    each) the declarations muskox records without applying them."""
    lines: list[str] = []
    if result.empty:
        lines.append(click.style("No changes: the database matches the code.", fg="green"))
    else:
        counts = {s: sum(symbol(op) == s for op in result.operations) for s in "+~-"}
        summary = f"Plan: {counts['+']} to add, {counts['~']} to change, {counts['-']} to drop"
        destructive = f" ({len(result.destructive)} destructive)" if result.destructive else ""
        lines.append(click.style(summary, bold=True) + click.style(destructive, fg="red", bold=True))
        explained = explain_plan(result.operations, dialect) if dialect is not None else None
        for index, operation in enumerate(result.operations, 1):
            mark = symbol(operation)
            lines.append(click.style(f"  {mark} [{index}] {operation.describe()}", fg=_COLORS[mark]))
            if explained is not None:
                lines += _explanation_lines(explained[index - 1])
    if result.destructive:
        lines.append(click.style("Destructive (data can be lost):", fg="red", bold=True))
        lines += [click.style(f"  ! {finding.description}", fg="red") for finding in result.destructive]
    if result.risky:
        lines.append(click.style("Risky (the conversion may fail or truncate):", fg="yellow", bold=True))
        lines += [click.style(f"  ! {finding.description}", fg="yellow") for finding in result.risky]
    if result.blocked:
        lines.append(click.style("Blocked by lifecycle (not applied):", fg="magenta", bold=True))
        lines += [click.style(f"  x {blocked.reason}", fg="magenta") for blocked in result.blocked]
    recorded = list(recorded)
    if recorded:
        lines.append(click.style("Declared but not applied by muskox:", fg="cyan", bold=True))
        lines += [click.style(f"  = {resource.describe()}", fg="cyan") for resource in recorded]
    return "\n".join(lines)


_INDENT = "        "
_RISK_COLORS = {"destructive": "red", "risky": "yellow"}


def _explanation_lines(explained: Explanation) -> list[str]:
    lines = [f"{_INDENT}{detail}" for detail in explained.details]
    if explained.impact:
        lines.append(click.style(f"{_INDENT}data: {explained.impact}", dim=True))
    if explained.risks:
        level = explained.level or "risky"
        lines.append(click.style(f"{_INDENT}risk: {', '.join(explained.risks)}", fg=_RISK_COLORS[level]))
    return lines


PLAN_JSON_SCHEMA_VERSION = 1
"""The version of the ``plan --json`` document; raised when a key changes meaning or disappears (new keys may
appear without it)."""


def explained_json(explanation: Explanation) -> dict[str, Any]:
    """One operation's explanation in ``--json``."""
    return {"index": explanation.index, "operation": type(explanation.operation).__name__,
            "description": explanation.operation.describe(), "details": list(explanation.details),
            "impact": explanation.impact, "risks": list(explanation.risks), "level": explanation.level}


def plan_json(result: PlanResult, target: InfraMap, dialect: Dialect,
              findings: Sequence[PluginFinding] = ()) -> dict[str, Any]:
    """The machine view of a plan (types Moose cannot encode written in ``dialect``), with the findings of the
    plugins' plan checks (:mod:`muskox.plan.checks`)."""
    from muskox.plan.checks import findings_json

    codec = model_codec(dialect)
    explained = explain_plan(result.operations, dialect)
    return {
        "schema_version": PLAN_JSON_SCHEMA_VERSION,
        "changes": not result.empty,
        "operations": [operation_to_json(op, codec) for op in result.operations],
        "explained": [explained_json(explanation) for explanation in explained],
        "risks": [{"code": code, "level": RISK_LEVELS[code], "index": explanation.index}
                  for explanation in explained for code in explanation.risks],
        "destructive": [finding.description for finding in result.destructive],
        "risky": [finding.description for finding in result.risky],
        "blocked": [blocked.reason for blocked in result.blocked],
        "findings": findings_json(findings),
        "recorded": [{"kind": r.kind, "name": r.name, "status": r.status.value} for r in target.recorded.values()],
        "target_infra_map": codec.to_json(target),
    }
