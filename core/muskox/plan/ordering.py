"""Ordering: teardown before setup, each in dependency order, deterministic for equal inputs (spec 1.6).

Teardown drops views and materialized views before the tables they read or write (dependents first), then
table-level drops (indexes and projections before the columns they may use; a table whose engine reads another,
such as a ``Distributed`` table, before that one). Setup creates and alters tables
first, then views and materialized views after everything they depend on. A SQL resource's teardown runs before
any other drop and its setup after everything else (its statements may read any table or view). Other
operations (RawSql, plugin operations) keep their place relative to the table phase they were lowered with.
"""

from __future__ import annotations

from collections.abc import Sequence

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.infra_map import InfraMap
from muskox.model.operations import (
    CreateMaterializedView,
    CreateSqlResource,
    CreateView,
    DropMaterializedView,
    DropSqlResource,
    DropTable,
    DropTableColumn,
    DropView,
    Operation,
)
from muskox.plan.lowering import Lowered
from muskox.plugin.dialect import Dialect

_VIEW_CREATES = (CreateView, CreateMaterializedView)
_VIEW_DROPS = (DropView, DropMaterializedView)


class CyclicDependencyError(MuskoxError):
    """Views or materialized views depend on each other in a cycle."""

    exit_code = ExitCode.PLAN_INVALID


def dependencies(infra: InfraMap, dialect: Dialect) -> dict[str, set[str]]:
    """Object name → names it depends on, for every view and materialized view in ``infra`` (source-table
    references, however quoted or qualified, read by ``dialect``; views of one name in two databases share an
    entry)."""
    deps: dict[str, set[str]] = {}
    for view in infra.views.values():
        deps.setdefault(view.name, set()).update(dialect.referenced_name(s) for s in view.source_tables)
    for mv in infra.materialized_views.values():
        deps.setdefault(mv.name, set()).update({dialect.referenced_name(s) for s in mv.source_tables}
                                               | {mv.target_table})
    return deps


def table_dependencies(infra: InfraMap, dialect: Dialect) -> dict[str, set[str]]:
    """Table name → the tables its engine reads or writes (``Dialect.engine_dependencies``), where any."""
    deps: dict[str, set[str]] = {}
    for table in infra.tables.values():
        names = dialect.engine_dependencies(table)
        if names:
            deps.setdefault(table.name, set()).update(names)
    return deps


def order(lowered: Lowered, current: InfraMap, target: InfraMap, dialect: Dialect) -> list[Operation]:
    """The final operation list: ordered teardown, then ordered setup."""
    teardown_resources = [op for op in lowered.teardown if isinstance(op, DropSqlResource)]
    setup_resources = [op for op in lowered.setup if isinstance(op, CreateSqlResource)]
    teardown_views = [op for op in lowered.teardown if isinstance(op, _VIEW_DROPS)]
    teardown_rest = [op for op in lowered.teardown if not isinstance(op, (*_VIEW_DROPS, DropSqlResource))]
    setup_views = [op for op in lowered.setup if isinstance(op, _VIEW_CREATES)]
    setup_rest = [op for op in lowered.setup if not isinstance(op, (*_VIEW_CREATES, CreateSqlResource))]
    drops_last = sorted(teardown_rest, key=lambda op: isinstance(op, DropTableColumn | DropTable))
    return [
        *teardown_resources,
        *reversed(_topological(teardown_views, dependencies(current, dialect))),
        *reversed(_topological(drops_last[::-1], table_dependencies(current, dialect))),  # dependents first
        *_topological(setup_rest, table_dependencies(target, dialect)),  # a Distributed table after its table
        *_topological(setup_views, dependencies(target, dialect)),
        *setup_resources,
    ]


def _name(op: Operation) -> str:
    return op.subject()[1]


def _topological(ops: Sequence[Operation], deps: dict[str, set[str]]) -> list[Operation]:
    """Dependencies first; ties keep their input order (so equal inputs give equal plans).

    Operations are told apart by position (two databases may each have a view of one name); a dependency names
    an object by its bare name, so it stands for every other operation on an object of that name."""
    by_name: dict[str, list[int]] = {}
    for index, op in enumerate(ops):
        by_name.setdefault(_name(op), []).append(index)
    placed: list[Operation] = []
    state: dict[int, str] = {}

    def visit(index: int, path: tuple[str, ...]) -> None:
        name = _name(ops[index])
        if state.get(index) == "done":
            return
        if state.get(index) == "visiting":
            cycle = " -> ".join((*path[path.index(name):], name))
            raise CyclicDependencyError(f"cyclic dependency detected between views: {cycle}",
                                        "break the cycle: a view cannot read, directly or not, from itself")
        state[index] = "visiting"
        for dep in sorted(deps.get(name, ())):
            for other in by_name.get(dep, ()):
                if other != index:
                    visit(other, (*path, name))
        state[index] = "done"
        placed.append(ops[index])

    for index in range(len(ops)):
        visit(index, ())
    return placed


