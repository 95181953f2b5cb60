"""``--no-rehearse`` of ``generate migration``, and the rehearsal it skips (:mod:`muskox.apply.rehearsal`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from muskox.cli.context import AppContext
    from muskox.config import Config
    from muskox.model.infra_map import InfraMap
    from muskox.model.operations import Operation

F = TypeVar("F", bound=Callable[..., Any])

GENERATE_FIX = ("change the code so that the database can make the change (the server's error says what it refuses); "
                "`--no-rehearse` writes the plan without this check")


def no_rehearse_option(function: F) -> F:
    """The ``--no-rehearse`` flag (parameter ``no_rehearse``)."""
    return click.option("--no-rehearse", "no_rehearse", is_flag=True,
                        help="Do not rehearse the plan on empty copies of its tables in a scratch database "
                             "(by default a plan the server would refuse is never written).")(function)


def rehearse_plan(app: AppContext, config: Config, operations: Sequence[Operation], current: InfraMap) -> None:
    """Rehearse ``operations`` from ``current`` on the configured server (exit 7 on a refused statement)."""
    if not operations:
        return
    from muskox.apply.rehearsal import rehearse_or_stop
    from muskox.plan.workspace import open_backend

    with open_backend(app.plugins, config) as backend:
        rehearse_or_stop(backend, operations, current, what="the plan", fix=GENERATE_FIX)
