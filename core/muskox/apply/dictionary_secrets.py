"""A dictionary's source credentials put back just before its operation runs: files and plans hold ``[HIDDEN]``
(as Moose writes them); the value is the code's (the same dictionary, collected now). A ``moose_runtime_env``
marker in the code is resolved by the backend when it renders the statement."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.engines import HIDDEN
from muskox.model.infra_map import InfraMap, view_id
from muskox.model.operations import CreateDictionary, Operation, ReplaceDictionary

__all__ = ["hidden_fields", "restore_dictionary_secrets"]


def hidden_fields(dictionary: Dictionary) -> list[str]:
    """The source fields the encoding hides (``password``, …)."""
    source = dictionary.encoding.get("source")
    external = source.get("externalSource") if isinstance(source, Mapping) else None
    if not isinstance(external, Mapping):
        return []
    return sorted(str(k) for k, v in external.items() if v == HIDDEN)


def _restored(dictionary: Dictionary, target: Callable[[], InfraMap], missing: Callable[[str], Exception]
              ) -> Dictionary:
    hidden = [k for k in hidden_fields(dictionary) if k not in dictionary.secrets]
    if not hidden:
        return dictionary
    code_map = target()
    code = code_map.dictionaries.get(view_id(dictionary.database, dictionary.name, code_map.default_database))
    known: dict[str, Any] = dict(code.secrets) if code is not None else {}
    for key in hidden:
        if known.get(key) in (None, HIDDEN):
            raise missing(f"dictionary '{dictionary.name}': source {key} is [HIDDEN] in the plan and the code does "
                          f"not declare it")
    return attrs.evolve(dictionary, secrets={k: str(known[k]) for k in hidden})


def restore_dictionary_secrets(operation: Operation, target: Callable[[], InfraMap],
                               missing: Callable[[str], Exception]) -> Operation:
    """``operation`` with the code's credentials for every hidden source field (``missing(problem)`` is raised
    when the code does not give one)."""
    if isinstance(operation, CreateDictionary):
        return attrs.evolve(operation, dictionary=_restored(operation.dictionary, target, missing))
    if isinstance(operation, ReplaceDictionary):
        return attrs.evolve(operation, after=_restored(operation.after, target, missing))
    return operation
