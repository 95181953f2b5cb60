"""The fold of the SQL resource operations: a setup adds the resource where none is, a teardown removes it."""

from __future__ import annotations

import attrs

from muskox.model.infra_map import InfraMap
from muskox.model.operations import CreateSqlResource, DropSqlResource


def fold_sql_resource(infra: InfraMap, operation: CreateSqlResource | DropSqlResource) -> InfraMap:
    """``infra`` after one SQL resource operation."""
    from muskox.plan.fold import FoldError

    name = operation.resource.name
    if isinstance(operation, CreateSqlResource):
        if name in infra.sql_resources:
            raise FoldError(f"SQL resource '{name}' is already set up",
                            "remove the duplicate CreateSqlResource (or tear it down first with DropSqlResource)")
        return attrs.evolve(infra, sql_resources={**infra.sql_resources, name: operation.resource})
    if name not in infra.sql_resources:
        raise FoldError(f"SQL resource '{name}' is not set up", "remove the DropSqlResource")
    return attrs.evolve(infra, sql_resources={k: r for k, r in infra.sql_resources.items() if k != name})
