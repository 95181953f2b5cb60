"""What the SQL resource and table constraint operations do, for :mod:`muskox.plan.explain`."""

from __future__ import annotations

from muskox.model.operations import (
    AddTableConstraint,
    CreateSqlResource,
    DropSqlResource,
    DropTableConstraint,
    Operation,
)

__all__ = ["SQL_RESOURCE_RISKS", "explain_sql_resource"]

_SHOWN = 160

SQL_RESOURCE_RISKS = {"sql_resource_teardown_unchecked": "destructive"}
"""A teardown runs statements muskox cannot read: it may drop anything, data included."""


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def explain_sql_resource(operation: Operation) -> tuple[list[str], str, list[str]] | None:
    """``(details, impact, risks)`` of a SQL resource or constraint operation; None for any other operation."""
    if isinstance(operation, CreateSqlResource):
        return ([f"setup: {_short(sql)}" for sql in operation.resource.setup],
                "whatever the setup statements make (run in order)", ["raw_sql_unchecked"])
    if isinstance(operation, DropSqlResource):
        return ([f"teardown: {_short(sql)}" for sql in operation.resource.teardown],
                "whatever the teardown statements remove, with its data", ["sql_resource_teardown_unchecked"])
    if isinstance(operation, AddTableConstraint):
        constraint = operation.constraint
        impact = ("rows inserted from now on must satisfy it (stored rows are not checked)"
                  if constraint.type.upper() == "CHECK" else "a hint to the query optimizer; nothing is checked")
        return [f"+ constraint {constraint.name}: {constraint.type.upper()} {constraint.expression}"], impact, []
    if isinstance(operation, DropTableConstraint):
        return [f"- constraint {operation.constraint_name}"], "no stored data changes", []
    return None
