"""The CLI side of plan checks: the ``--yes-findings`` flag and the gate each command builds from it."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from muskox.cli.context import AppContext
    from muskox.config import Config
    from muskox.plan.checks import PlanGate

F = TypeVar("F", bound=Callable[..., Any])
_META_KEY = "muskox.yes_findings"


def _remember(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta[_META_KEY] = bool(value)
    return value


def findings_option(command: F) -> F:
    """``--yes-findings``: approve the error findings of plan checks (kept in the click context, so commands
    need no extra parameter; read it with :func:`yes_findings`)."""
    return click.option("--yes-findings", is_flag=True, expose_value=False, callback=_remember, is_eager=True,
                        help="Approve the errors plugins' plan checks report, after reviewing them "
                             "(env MUSKOX_ACCEPT_FINDINGS=1; --yes-all also approves them).")(command)


def yes_findings() -> bool:
    """True when the running command was given ``--yes-findings``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_META_KEY, False))


def plan_gate(app: AppContext, config: Config, command: str, say: Callable[[str], None], *,
              yes_all: bool = False) -> PlanGate:
    """The plan checks of ``command``, approved by ``--yes-findings``, ``yes_all`` or the environment."""
    from muskox.plan.checks import PlanGate, findings_approved

    return PlanGate(app.plugins, findings_approved(flag=yes_findings() or yes_all, env=os.environ), command,
                    say, tenant=config.tenant, config=config)


def echo_err(line: str) -> None:
    """One line on stderr."""
    click.echo(line, err=True)
