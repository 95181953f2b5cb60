"""The kinds of objects plugins plan from declarations, for the code paths that have no :class:`Plugins` at hand.

A resource backend (``muskox_register_resource_backends``) whose class overrides
:meth:`~muskox.plugin.interfaces.ResourceBackend.declared` is such a kind. :meth:`Plugins.load` makes its plugins
the active ones (:func:`activate`); :func:`declared_extensions` (collection) and :func:`plan_extensions` (the
planner) read them. Without loaded plugins there are no kinds: maps without extensions plan as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from muskox.errors import PluginError
from muskox.plugin.interfaces import ResourceBackend

if TYPE_CHECKING:  # the model loads when something is planned, not at every start of the CLI
    from muskox.config import Config
    from muskox.model.extensions import Extensions
    from muskox.model.operations import Operation

KindsSource = Callable[[], Mapping[str, type[ResourceBackend]]]

_source: list[KindsSource] = []


def activate(source: KindsSource) -> None:
    """Make ``source`` (the loaded plugins' resource backends, resolved on first use) the active kinds."""
    _source[:] = [source]


def active_kinds() -> dict[str, type[ResourceBackend]]:
    """Every resource backend planned from declarations, by kind."""
    if not _source:
        return {}
    return {kind: backend for kind, backend in _source[0]().items()
            if backend.declared.__func__ is not ResourceBackend.declared.__func__}  # type: ignore[attr-defined]


def declared_extensions(project_dir: Path, config: Config) -> Extensions:
    """What each kind's backend says the project declares (after the project's code was imported)."""
    found: Extensions = {}
    for kind, backend in sorted(active_kinds().items()):
        declared = backend.declared(project_dir, config)
        if declared:
            found[kind] = {name: dict(spec) for name, spec in sorted(declared.items())}
    return found


def plan_extensions(current: Extensions, target: Extensions) -> list[Operation]:
    """Each kind's operations from ``current`` to ``target`` (kinds in name order), from its backend's
    :meth:`~muskox.plugin.interfaces.ResourceBackend.plan`. A kind in either map without its plugin is an error:
    planning without it would drop what it manages."""
    kinds = active_kinds()
    operations: list[Operation] = []
    for kind in sorted(set(current) | set(target)):
        before, after = current.get(kind, {}), target.get(kind, {})
        if before == after:
            continue
        backend = kinds.get(kind)
        if backend is None:
            raise PluginError(f"the state or the code has objects of kind '{kind}', but no installed plugin plans "
                              "that kind", f"install (or enable) the plugin that provides the '{kind}' backend")
        planned = list(backend.plan(before, after))
        wrong = [op for op in planned if op.backend != kind]
        if wrong:
            raise PluginError(f"the '{kind}' backend planned operations of another kind: "
                              f"{', '.join(type(op).__name__ for op in wrong)}",
                              "report it to the plugin's authors")
        operations += planned
    return operations
