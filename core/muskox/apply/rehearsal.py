"""The rehearsal: a plan's statements tried on empty copies of what they touch before anything real runs.

``migrate`` (snapshot and delta mode, and so ``prod``) and ``generate migration`` ask the OLAP backend to rehearse
the operations (:meth:`muskox.plugin.interfaces.OlapBackend.rehearse`); a statement the server refuses stops the
command with exit 7 and the server's error, before anything is executed. ``--no-rehearse`` skips it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from muskox.errors import PlanInvalid
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation

__all__ = ["RehearsalFailed", "rehearse_or_stop"]

log = logging.getLogger("muskox.apply.rehearsal")


class RehearsalFailed(PlanInvalid):
    """The server refused a statement of the plan on an empty copy of its object (exit 7)."""


def rehearse_or_stop(backend: Any, operations: Sequence[Operation], current: InfraMap, *, what: str,
                     fix: str, progress: Callable[[str], None] | None = None) -> None:
    """Rehearse ``operations`` from ``current`` through ``backend`` (a :class:`muskox.plugin.backends.Backends` or
    an OLAP backend); raise :class:`RehearsalFailed` naming each refused statement. ``what`` names the plan in the
    message (``"migrations/plan.yaml"``)."""
    rehearse = getattr(backend, "rehearse", None)
    if rehearse is None or not operations:
        return
    started = time.monotonic()
    problems: list[str] = rehearse(operations, current)
    seconds = time.monotonic() - started
    log.debug("rehearsed %d operation(s) in %.3f s: %d problem(s)", len(operations), seconds, len(problems))
    if problems:
        raise RehearsalFailed(f"{what} was rehearsed on empty copies of its tables and the server refused "
                              f"{len(problems)} statement(s); nothing was executed", fix, problems=problems)
    if progress is not None:
        progress(f"Rehearsed {len(operations)} operation(s) on empty copies ({seconds:.2f} s)")
