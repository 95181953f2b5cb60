"""The rehearsal of a ``muskox dev`` cycle: its plan tried on empty copies before anything runs, cheaply.

A cycle's plan is rehearsed as ``migrate`` rehearses (:mod:`muskox.apply.rehearsal`): a statement the server
would refuse stops the cycle (exit 7 in the loop's report: it prints the server's error and goes on watching)
with nothing applied. A plan that only creates new objects is not rehearsed: its rehearsal would send the very
statements the cycle sends, on objects that do not exist yet, so a refused one stops the cycle at the same
point, with nothing changed but the objects created before it — which the next cycle no longer plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from muskox.apply.rehearsal import rehearse_or_stop
from muskox.model.infra_map import InfraMap
from muskox.model.operations import (
    CreateDictionary,
    CreateMaterializedView,
    CreateTable,
    CreateView,
    Operation,
)

__all__ = ["DEV_FIX", "needs_rehearsal", "rehearse_cycle"]

DEV_FIX = "change the code so that the server accepts it (the error above is the server's), then save again"

_CREATES = (CreateTable, CreateView, CreateMaterializedView, CreateDictionary)


def needs_rehearsal(operations: Sequence[Operation]) -> bool:
    """Whether a cycle's plan is rehearsed: it changes or removes something that exists (see the module)."""
    return any(not isinstance(operation, _CREATES) for operation in operations)


def rehearse_cycle(backends: Any, operations: Sequence[Operation], current: InfraMap) -> None:
    """Rehearse a cycle's ``operations`` from ``current`` when :func:`needs_rehearsal`; raises
    :class:`muskox.apply.rehearsal.RehearsalFailed` naming each refused statement."""
    if needs_rehearsal(operations):
        rehearse_or_stop(backends, operations, current, what="the change", fix=DEV_FIX)
