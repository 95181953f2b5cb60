"""Plan checks: plugins' own rules over a plan (``muskox_check_plan``), and the gate their errors pass.

A plugin returns :class:`CheckFinding` values; each has a stable ``code`` (scripts and ``plan --json`` match
on it), a severity and a message. Warnings are printed. Errors stop ``generate migration``, ``migrate``,
``prod`` and ``dev`` with exit 10 (:class:`FindingsRefused`), naming the plugin and the finding, unless approved
like destructive changes: ``--yes-findings``, ``--yes-all`` or ``MUSKOX_ACCEPT_FINDINGS=1``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.masking import mask_text
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation

if TYPE_CHECKING:
    from muskox.config import Config
    from muskox.plugin.dialect import Dialect
    from muskox.plugin.manager import Plugins

__all__ = ["APPROVE_FLAG", "CheckFinding", "FindingsRefused", "PlanCheck", "PluginFinding", "Severity",
           "check_plan", "findings_approved", "findings_json", "gate"]

HOOK = "muskox_check_plan"
APPROVE_FLAG = "--yes-findings"
APPROVE_ENV = "MUSKOX_ACCEPT_FINDINGS"
CHECK_FAILED = "check_failed"
_TRUE = {"1", "true", "yes", "on"}


class Severity(enum.Enum):
    """How much a finding matters: an ``error`` stops the command unless approved, a ``warning`` is shown."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(kw_only=True)
class CheckFinding:
    """What a check found. ``code`` is stable (lower_snake_case, e.g. ``ttl_missing``); ``subject`` names the
    object (``"analytics"."events"``) when there is one."""

    code: str
    message: str
    severity: Severity = Severity.ERROR
    subject: str | None = None

    @classmethod
    def error(cls, code: str, message: str, subject: str | None = None) -> CheckFinding:
        """An error finding."""
        return cls(code=code, message=message, severity=Severity.ERROR, subject=subject)

    @classmethod
    def warning(cls, code: str, message: str, subject: str | None = None) -> CheckFinding:
        """A warning finding."""
        return cls(code=code, message=message, severity=Severity.WARNING, subject=subject)


@attrs.frozen(kw_only=True)
class PlanCheck:
    """What a check sees: the plan's operations in order, the state the code declares (``target``), the
    database as muskox manages it (``current``; None when the command does not know it, e.g. delta files), the
    tenant, the command (``plan``, ``generate``, ``migrate``, ``prod``, ``dev``), the OLAP dialect and the effective
    configuration (a rule's own settings: ``plan.config.section(name, cls)``)."""

    operations: tuple[Operation, ...]
    target: InfraMap
    current: InfraMap | None = None
    tenant: str | None = None
    command: str = "plan"
    dialect: Dialect | None = None
    config: Config | None = None


@attrs.frozen
class PluginFinding:
    """A finding and the plugin that returned it."""

    plugin: str
    finding: CheckFinding

    def line(self) -> str:
        """``<severity> <code> (<plugin>): <message>``."""
        where = f" [{self.finding.subject}]" if self.finding.subject else ""
        return (f"{self.finding.severity.value} {self.finding.code} (plugin {self.plugin}){where}: "
                f"{self.finding.message}")


class FindingsRefused(MuskoxError):
    """A plan check returned errors nobody approved; nothing was written or executed."""

    exit_code = ExitCode.DESTRUCTIVE_REFUSED

    def __init__(self, problem: str, fix: str, findings: Sequence[PluginFinding] = ()) -> None:
        super().__init__(problem, fix)
        self.findings = tuple(findings)


def check_plan(plugins: Plugins, plan: PlanCheck) -> list[PluginFinding]:
    """Every finding of every plugin implementing ``muskox_check_plan``, in plugin order. A check that raises,
    or returns something that is not a list of findings, is an error finding ``check_failed`` of its plugin."""
    found: list[PluginFinding] = []
    for outcome in plugins.call_each(HOOK, plan=plan):
        if outcome.error is not None:
            found.append(PluginFinding(outcome.plugin, CheckFinding.error(
                CHECK_FAILED, mask_text(f"the check raised {type(outcome.error).__name__}: {outcome.error}")[:500])))
            continue
        result: Any = outcome.result
        if result is None:
            continue
        items = list(result) if isinstance(result, list | tuple) else None
        if items is None or not all(isinstance(item, CheckFinding) for item in items):
            found.append(PluginFinding(outcome.plugin, CheckFinding.error(
                CHECK_FAILED, f"the check returned {type(result).__name__}, not a list of CheckFinding")))
            continue
        found += [PluginFinding(outcome.plugin, item) for item in items]
    return found


def findings_approved(*, flag: bool, env: Mapping[str, str]) -> bool:
    """``--yes-findings`` / ``--yes-all`` (``flag``), or ``MUSKOX_ACCEPT_FINDINGS`` / ``MUSKOX_ACCEPT_ALL`` set."""
    names = (APPROVE_ENV, "MUSKOX_ACCEPT_ALL", "MOOSE_ACCEPT_ALL")
    return flag or any(env.get(name, "").strip().lower() in _TRUE for name in names)


def gate(findings: Sequence[PluginFinding], *, approved: bool, say: Callable[[str], None]) -> None:
    """Print warnings (and approved errors) through ``say``; raise :class:`FindingsRefused` for unapproved
    errors."""
    errors = [f for f in findings if f.finding.severity is Severity.ERROR]
    for warning in (f for f in findings if f.finding.severity is Severity.WARNING):
        say(f"plan check: {warning.line()}")
    if not errors:
        return
    if approved:
        for error in errors:
            say(f"plan check (approved): {error.line()}")
        return
    raise FindingsRefused(
        f"plan checks found {len(errors)} error(s); nothing was written or executed: "
        + "; ".join(error.line() for error in errors),
        f"change the code so the checks pass, or approve them after review with {APPROVE_FLAG} "
        f"(or --yes-all, or {APPROVE_ENV}=1)", errors)


def findings_json(findings: Sequence[PluginFinding]) -> list[dict[str, Any]]:
    """Findings for ``--json``: ``plugin``, ``code``, ``severity``, ``message``, ``subject``."""
    return [{"plugin": f.plugin, "code": f.finding.code, "severity": f.finding.severity.value,
             "message": f.finding.message, "subject": f.finding.subject} for f in findings]


@attrs.frozen
class PlanGate:
    """The checks of one command, for call sites that only have operations and states at hand."""

    plugins: Plugins
    approved: bool
    command: str
    say: Callable[[str], None]
    tenant: str | None = None
    config: Config | None = None

    def check(self, operations: Sequence[Operation], *, target: InfraMap, current: InfraMap | None = None,
              dialect: Dialect | None = None) -> list[PluginFinding]:
        """Run the checks on ``operations`` and pass them through :func:`gate`; the findings."""
        if not operations or not self.plugins.implements(HOOK):
            return []
        findings = check_plan(self.plugins, PlanCheck(operations=tuple(operations), target=target, current=current,
                                                      tenant=self.tenant, command=self.command, dialect=dialect,
                                                      config=self.config))
        gate(findings, approved=self.approved, say=self.say)
        return findings
