"""A sample plugin adding a kind of object planned from declarations: webhooks, kept as JSON files.

The project declares them with :func:`webhook` (the plugin's own declaration API); the resource backend
``webhook`` reads what was declared, introspects the files of ``[webhook_config] dir``, plans the difference
and applies it by writing and deleting files.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import attrs

from muskox import hookimpl
from muskox.config import Config, setting
from muskox.model.operations import Operation
from muskox.plugin.interfaces import ResourceBackend

KIND = "webhook"
_DECLARED: dict[str, dict[str, Any]] = {}


def webhook(name: str, url: str, events: Sequence[str] = ()) -> None:
    """Declare a webhook (called by the project's code while muskox imports it)."""
    _DECLARED[name] = {"url": url, "events": sorted(events)}


@attrs.frozen(kw_only=True)
class WebhookConfig:
    dir: str = setting(".webhooks", "where the webhooks' files are kept")


@attrs.frozen(kw_only=True)
class CreateWebhook(Operation):
    backend: ClassVar[str] = KIND  # type: ignore[misc]
    name: str
    url: str
    events: tuple[str, ...] = ()

    def subject(self) -> tuple[str | None, str]:
        return (None, f"webhook:{self.name}")

    def describe(self) -> str:
        return f"Creating webhook '{self.name}' → {self.url}"


@attrs.frozen(kw_only=True)
class UpdateWebhook(CreateWebhook):
    def describe(self) -> str:
        return f"Updating webhook '{self.name}' → {self.url}"


@attrs.frozen(kw_only=True)
class DeleteWebhook(Operation):
    backend: ClassVar[str] = KIND  # type: ignore[misc]
    destructive: ClassVar[bool] = True  # type: ignore[misc]
    name: str

    def subject(self) -> tuple[str | None, str]:
        return (None, f"webhook:{self.name}")

    def describe(self) -> str:
        return f"Deleting webhook '{self.name}'"


def _spec(url: str, events: Sequence[str]) -> dict[str, Any]:
    return {"url": url, "events": sorted(events)}


class WebhookBackend(ResourceBackend):
    description: ClassVar[str] = "webhooks kept as JSON files"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_config(cls, config: Config) -> Self:
        return cls(Path(config.section("webhook_config", WebhookConfig).dir))

    @classmethod
    def declared(cls, project_dir: Path, config: Config) -> Mapping[str, dict[str, Any]]:
        found = dict(_DECLARED)  # what this collection's import declared; the next import declares afresh
        _DECLARED.clear()
        return found

    @classmethod
    def plan(cls, current: Mapping[str, dict[str, Any]], target: Mapping[str, dict[str, Any]]) -> list[Operation]:
        operations: list[Operation] = []
        for name in sorted(set(current) | set(target)):
            if name not in target:
                operations.append(DeleteWebhook(name=name))
            elif name not in current:
                operations.append(CreateWebhook(name=name, **_fields(target[name])))
            elif current[name] != target[name]:
                operations.append(UpdateWebhook(name=name, **_fields(target[name])))
        return operations

    @classmethod
    def fold(cls, objects: Mapping[str, dict[str, Any]], operation: Operation) -> dict[str, dict[str, Any]]:
        after = dict(objects)
        if isinstance(operation, DeleteWebhook):
            del after[operation.name]
        elif isinstance(operation, CreateWebhook):
            if (operation.name in after) is not isinstance(operation, UpdateWebhook):
                state = "exists already" if operation.name in after else "is missing"
                raise ValueError(f"webhook '{operation.name}' {state}")
            after[operation.name] = _spec(operation.url, operation.events)
        return after

    def introspect(self, names: Collection[str]) -> dict[str, dict[str, Any]]:
        found = {}
        for name in names:
            path = self.directory / f"{name}.json"
            if path.is_file():
                found[name] = json.loads(path.read_text())
        return found

    def apply(self, operation: Operation) -> None:
        path = self.directory / f"{operation.name}.json"  # type: ignore[attr-defined]
        if isinstance(operation, DeleteWebhook):
            path.unlink()
            return
        assert isinstance(operation, CreateWebhook)
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_spec(operation.url, operation.events), sort_keys=True))

    def close(self) -> None:
        """Nothing to close."""


def _fields(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"url": spec["url"], "events": tuple(spec["events"])}


@hookimpl
def muskox_register_config_sections(register):
    register("webhook_config", WebhookConfig)


@hookimpl
def muskox_register_operations(register):
    register("CreateWebhook", CreateWebhook)
    register("UpdateWebhook", UpdateWebhook)
    register("DeleteWebhook", DeleteWebhook)


@hookimpl
def muskox_register_resource_backends(register):
    register(KIND, WebhookBackend)
