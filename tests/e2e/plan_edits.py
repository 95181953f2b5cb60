"""Hand edits of ``migrations/plan.yaml``, as a reviewer makes them (the tests' one way of changing a plan)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from muskox.files.plan_yaml import Plan, plan_from_yaml, plan_to_yaml
from muskox.model.operations import BUILTIN_OPERATIONS, Operation
from muskox_clickhouse.dialect import CLICKHOUSE


def edit_operations(project: Path, change: Callable[[tuple[Operation, ...]], Sequence[Operation]]) -> None:
    """Replace the plan's operations by ``change(operations)``, keeping its ``created_at``."""
    path = project / "migrations" / "plan.yaml"
    plan = plan_from_yaml(path.read_text(), BUILTIN_OPERATIONS, CLICKHOUSE)
    path.write_text(plan_to_yaml(Plan(created_at=plan.created_at, operations=tuple(change(plan.operations))),
                                 CLICKHOUSE))


def append_operations(project: Path, *added: Operation) -> None:
    """Add ``added`` at the end of the plan."""
    edit_operations(project, lambda operations: (*operations, *added))


def insert_operation(project: Path, position: int, operation: Operation) -> None:
    """Insert ``operation`` before the plan's operation number ``position`` (0-based)."""
    edit_operations(project, lambda operations: (*operations[:position], operation, *operations[position:]))
