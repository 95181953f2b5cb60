"""An example muskox plan check: every MergeTree-family table declares a TTL (code ``ttl_missing``).

It looks at the plan's operations: a created table without a TTL, and a TTL removed from a table. Off until a
project sets ``[ttl_rule] enabled = true``; ``severity = "warning"`` reports without blocking; ``exempt`` lists
table names the rule leaves alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from muskox import hookimpl
from muskox.config import setting

if TYPE_CHECKING:  # loaded when a plan is checked, not at every start of the CLI
    from muskox.plan.checks import CheckFinding, PlanCheck

__version__ = "0.1.0"
SECTION = "ttl_rule"
CODE = "ttl_missing"


def _severity(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("error", "warning"):
        raise ValueError(f"{attribute.name} must be 'error' or 'warning', not {value!r}")


@attrs.frozen(kw_only=True)
class TtlRuleConfig:
    """``[ttl_rule]``: the settings of the rule."""

    enabled: bool = setting(False, "check every plan for MergeTree tables without a TTL")
    severity: str = setting("error", "`error` (blocks until approved) or `warning`", validator=_severity)
    exempt: list[str] = setting([], "table names the rule leaves alone")


@hookimpl
def muskox_register_config_sections(register: Callable[[str, type[Any]], None]) -> None:
    """``[ttl_rule]``."""
    register(SECTION, TtlRuleConfig)


@hookimpl
def muskox_check_plan(plan: PlanCheck) -> Sequence[CheckFinding]:
    """A finding per created MergeTree table without a TTL, and per removed table TTL."""
    from muskox.model.engines import is_merge_tree
    from muskox.model.operations import CreateTable, ModifyTableTtl
    from muskox.plan.checks import CheckFinding, Severity

    settings: TtlRuleConfig = plan.config.section(SECTION, TtlRuleConfig) if plan.config else TtlRuleConfig()
    if not settings.enabled:
        return []
    severity = Severity(settings.severity)
    findings: list[CheckFinding] = []
    for operation in plan.operations:
        if isinstance(operation, CreateTable):
            table = operation.table
            if is_merge_tree(table.engine) and not table.ttl and table.name not in settings.exempt:
                findings.append(CheckFinding(
                    code=CODE, severity=severity, subject=table.name,
                    message=f"table '{table.name}' declares no TTL; add OlapConfig(ttl=...) or list it in "
                            f"[{SECTION}] exempt"))
        elif isinstance(operation, ModifyTableTtl) and operation.after is None \
                and operation.table not in settings.exempt:
            findings.append(CheckFinding(
                code=CODE, severity=severity, subject=operation.table,
                message=f"the plan removes the TTL of table '{operation.table}'"))
    return findings
