"""Workflows, as Moose declares them: tasks (``Task[Input, Output]``) chained by ``on_complete``, started by a
``Workflow``. The application runs them (Moose uses Temporal); muskox records each workflow in the infra map.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, prefix
from muskox.declare.registry import active_registry, display_base
from muskox.declare.typed import ModelTyped
from muskox.model.recorded import RecordedResource, RecordedStatus

T = TypeVar("T")
U = TypeVar("U")

#: What Moose's runtime uses when a workflow sets no retries or timeout.
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = "1h"


@attrs.define
class TaskContext(Generic[T]):
    """What a task's ``run`` receives: the workflow's ``state`` and the task's ``input``."""

    state: dict[str, Any]
    input: T


@attrs.define
class TaskConfig(Generic[T, U]):
    """A task: ``run(context)``, the tasks ``on_complete`` runs next with its result, ``on_cancel``,
    ``timeout`` (``"5m"``, ``"1h"``, ``"never"``) and ``retries``."""

    run: Callable[..., Any]
    on_complete: list[Task[Any, Any]] | None = None
    on_cancel: Callable[..., Any] | None = None
    timeout: str | None = None
    retries: int | None = None


class Task(ModelTyped[T], Generic[T, U]):
    """One step of a workflow: ``Task[Input, Output]("name", TaskConfig(run=...))`` (either type may be None)."""

    def __init__(self, name: str, config: TaskConfig[T, U], *, t: tuple[Any, Any] | None = None) -> None:
        if not isinstance(t, tuple) or len(t) != 2:
            raise DeclarationError(f"{prefix(caller_location(), display_base())}Task {name!r}: no input and output "
                                   "types", f'write Task[Input, Output]("{name}", TaskConfig(run=...)) (None for none)')
        self.name = name
        self.config = config
        self.model_type: Any = t[0]
        self._u = t[1]

    def __repr__(self) -> str:
        return f"Task({self.name!r})"


@attrs.define
class WorkflowConfig:
    """A workflow: the ``starting_task``, and the whole run's ``retries``, ``timeout`` and cron ``schedule``."""

    starting_task: Task[Any, Any]
    retries: int | None = None
    timeout: str | None = None
    schedule: str | None = None


class Workflow:
    """A workflow the application runs (recorded in the infra map, never run by muskox)."""

    kind: str = "Workflow"

    def __init__(self, name: str, config: WorkflowConfig) -> None:
        self.location = caller_location()
        if not isinstance(config, WorkflowConfig):
            raise DeclarationError(f"{prefix(self.location, display_base())}Workflow {name!r}: config must be a "
                                   f"WorkflowConfig, got {type(config).__name__}",
                                   "pass WorkflowConfig(starting_task=...)")
        self.name = name
        self.config = config
        registry = active_registry()
        if registry is not None:
            registry.add_recorded("Workflow", name, self)

    def get_task_names(self) -> list[str]:
        """Every task's name, the starting task first, depth first."""
        return [task.name for task in self._tasks()]

    def get_task(self, task_name: str) -> Task[Any, Any] | None:
        """The task called ``task_name``, if any."""
        return next((task for task in self._tasks() if task.name == task_name), None)

    def _tasks(self) -> list[Task[Any, Any]]:
        found: list[Task[Any, Any]] = []
        pending = [self.config.starting_task]
        while pending:
            task = pending.pop(0)
            found.append(task)
            pending[:0] = list(task.config.on_complete or [])
        return found

    def to_recorded(self, *, project_dir: Path | None = None, **_: Any) -> RecordedResource:
        """The workflow as Moose's infra map writes it under ``workflows``."""
        config = self.config
        value = {
            "name": self.name,
            "path": self.name,
            "config": {"name": self.name, "schedule": config.schedule or "",
                       "retries": DEFAULT_RETRIES if config.retries is None else config.retries,
                       "timeout": config.timeout or DEFAULT_TIMEOUT, "tasks": None},
            "language": "python",
            "pulls_data_from": [],
            "pushes_data_to": [],
        }
        return RecordedResource(section="workflows", key=self.name, kind="workflow", name=self.name,
                                status=RecordedStatus.SERVED_ELSEWHERE, value=value)

    def __repr__(self) -> str:
        return f"Workflow({self.name!r})"
TaskRunFunc = Callable[..., Any]
"""The type of a task's ``run``: called with a :class:`TaskContext`, returns the output (or an awaitable of it)."""
