"""The fold of the dictionary operations: a dictionary is created where none is, replaced or dropped where one is."""

from __future__ import annotations

import attrs

from muskox.model.infra_map import InfraMap, view_id
from muskox.model.operations import CreateDictionary, DropDictionary, Operation, ReplaceDictionary
from muskox.plan.fold import FoldError


def fold_dictionary(infra: InfraMap, operation: Operation) -> InfraMap:
    """``infra`` after one dictionary operation (``server_sql`` is dropped: the fold knows the code's form)."""
    default = infra.default_database
    if isinstance(operation, CreateDictionary):
        dictionary = attrs.evolve(operation.dictionary, server_sql=None)
        key = view_id(dictionary.database, dictionary.name, default)
        if key in infra.dictionaries:
            raise FoldError(f"dictionary '{dictionary.name}' already exists",
                                      "remove the duplicate CreateDictionary (or make it a ReplaceDictionary)")
        return attrs.evolve(infra, dictionaries={**infra.dictionaries, key: dictionary})
    if isinstance(operation, ReplaceDictionary):
        after = attrs.evolve(operation.after, server_sql=None)
        key = view_id(after.database, after.name, default)
        if key not in infra.dictionaries:
            raise FoldError(f"dictionary '{after.name}' does not exist",
                                      "regenerate the plan against the current state")
        return attrs.evolve(infra, dictionaries={**infra.dictionaries, key: after})
    assert isinstance(operation, DropDictionary)
    key = view_id(operation.database, operation.name, default)
    if key not in infra.dictionaries:
        raise FoldError(f"dictionary '{operation.name}' does not exist", "remove the DropDictionary")
    return attrs.evolve(infra, dictionaries={k: d for k, d in infra.dictionaries.items() if k != key})
