"""The SQL of every built-in plan operation (spec 2.2): pure functions, an operation in, statements out.

:func:`render_operation` gives the statements as text; :func:`render_statements` gives them with what the
applier (:mod:`muskox_clickhouse.apply`) needs to run them: the session database (views and raw SQL resolve
unqualified names in it), the table whose mutations to wait for, and whether the statement is known to start
a mutation. Statements carry no trailing semicolon.

CREATE statements and column, index and setting clauses come from :mod:`muskox_clickhouse.ddl`, so a column
added by ``ADD COLUMN`` reads exactly as it would in ``CREATE TABLE``. Every identifier goes through
``quote_identifier`` and every literal through ``quote_string`` (:mod:`muskox_clickhouse.dialect.quoting`);
expressions (defaults, TTLs, index expressions, projection bodies, view queries) are the user's SQL, emitted
as written. ``database`` None means ``default_database``; ``cluster_name`` adds ``ON CLUSTER``.

Which ALTERs start a mutation (checked on ClickHouse 26.9, ``system.mutations``): ``MODIFY COLUMN`` with a
type change (nullability included), ``MODIFY COLUMN`` setting a column TTL and ``MODIFY TTL`` (both run
``MATERIALIZE TTL``), ``DROP COLUMN``, ``RENAME COLUMN``, ``DROP INDEX`` and ``DROP PROJECTION``, and raw
``ALTER TABLE … UPDATE|DELETE|MATERIALIZE …``. Adding columns, indexes and projections, comments, defaults,
codecs, settings, ``REMOVE TTL`` and ``SAMPLE BY`` changes only touch metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from muskox.errors import MuskoxError, PlanInvalid
from muskox.exit_codes import ExitCode
from muskox.model.engines import IntegrationEngine
from muskox.model.operations import (
    AddTableColumn,
    AddTableConstraint,
    AddTableIndex,
    AddTableProjection,
    CreateMaterializedView,
    CreateSqlResource,
    CreateTable,
    CreateView,
    DropMaterializedView,
    DropSqlResource,
    DropTable,
    DropTableColumn,
    DropTableConstraint,
    DropTableIndex,
    DropTableProjection,
    DropView,
    ModifySampleBy,
    ModifyTableColumn,
    ModifyTableSettings,
    ModifyTableTtl,
    Operation,
    RawSql,
    RecreateTableWithCopy,
    RemoveSampleBy,
    RenameTableColumn,
    TableOperation,
)
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column
from muskox.plugin.dialect import PlannedStatement
from muskox_clickhouse.ddl import (
    DDL_SETTINGS,
    column_type,
    qualified_name,
    render_column,
    render_constraint,
    render_create_materialized_view,
    render_create_table,
    render_create_view,
    render_drop_table,
    render_drop_view,
    render_index,
    render_settings,
)
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.sql_lexer import tokenize
from muskox_clickhouse.dictionary_sql import DICTIONARY_RENDERERS

__all__ = ["Statement", "UnsupportedOperation", "alter_target", "render_operation", "render_statements"]

_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Column properties ``MODIFY COLUMN … REMOVE`` can drop, as (model attribute, SQL keyword), in emitted order.
_REMOVABLE = (("default", "DEFAULT"), ("materialized", "MATERIALIZED"), ("alias", "ALIAS"), ("ttl", "TTL"),
              ("codec", "CODEC"), ("comment", "COMMENT"))


class UnsupportedOperation(MuskoxError):
    """The ClickHouse backend has no SQL for this operation type (a plugin's operation it does not know)."""

    exit_code = ExitCode.PLUGIN


@attrs.frozen
class Statement:
    """One SQL statement of an operation and how to run it."""

    sql: str
    """The statement, without a trailing semicolon."""
    session_database: str | None = None
    """Run it with this database current (view queries and raw SQL may use unqualified names); None: any."""
    watch: tuple[str, str] | None = None
    """``(database, table)`` of an ``ALTER TABLE``: mutations it starts there are waited for."""
    mutation: bool = False
    """Known to start a mutation: sent without the server waiting for it (``alter_sync = 0``), then polled."""
    metadata_only: bool = False
    """Known to change only metadata (an ``ALTER`` muskox renders that starts no mutation): nothing to poll for;
    should the server start a mutation all the same, it waits for it itself (``mutations_sync = 1``)."""


def statement_settings(statement: Statement) -> dict[str, Any]:
    """The settings a statement is sent with: :data:`DDL_SETTINGS`, and for a watched ``ALTER`` no server-side
    wait for the mutations muskox polls itself (``mutations_sync = 1`` for a metadata-only one: none is
    expected, and two polls of ``system.mutations`` would be pure cost)."""
    settings: dict[str, Any] = dict(DDL_SETTINGS)
    if statement.watch is not None and statement.metadata_only:
        settings["mutations_sync"] = 1
    elif statement.watch is not None:
        settings["mutations_sync"] = 0
        if statement.mutation:
            settings["alter_sync"] = 0
    return settings


def database_to_create(operation: Operation, default_database: str) -> tuple[str, str | None] | None:
    """``(database, cluster)`` an operation creates an object in (created first when missing), else None."""
    match operation:
        case CreateTable(table=table):
            return table.database or default_database, table.cluster
        case CreateView() | CreateMaterializedView():
            return operation.database or default_database, None
    return None


def create_database_sql(database: str, cluster: str | None) -> str:
    """The statement creating ``database`` when it is missing."""
    return f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}{_on_cluster(cluster)}"


def planned_statements(operation: Operation, default_database: str) -> list[PlannedStatement]:
    """What :class:`muskox_clickhouse.apply.ClickHouseApplier` sends for ``operation``, for ``plan --sql``."""
    planned: list[PlannedStatement] = []
    missing = database_to_create(operation, default_database)
    if missing is not None:
        planned.append(PlannedStatement(create_database_sql(*missing), only_if_missing=True,
                                        note="sent only when the database does not exist"))
    from muskox_clickhouse.shown_secrets import masked_operation

    for statement in render_statements(masked_operation(operation), default_database):
        note = None
        if statement.watch is not None and not statement.metadata_only:
            note = "then muskox waits for the mutations it starts (system.mutations) to finish"
        planned.append(PlannedStatement(statement.sql, {k: str(v) for k, v in statement_settings(statement).items()},
                                        database=statement.session_database, note=note))
    return planned


def render_operation(operation: Operation, default_database: str) -> list[str]:
    """The SQL statements applying ``operation``, in order.

    :param default_database: the database of objects whose ``database`` is None (``clickhouse_config.db_name``).
    :raises UnsupportedOperation: for an operation type this backend does not know.
    :raises muskox.errors.PlanInvalid: for an operation that cannot be expressed (e.g. a ``ModifyTableColumn``
        whose before and after column names differ).
    """
    return [statement.sql for statement in render_statements(operation, default_database)]


def render_statements(operation: Operation, default_database: str) -> list[Statement]:
    """Like :func:`render_operation`, with each statement's run-time needs (:class:`Statement`)."""
    for cls in type(operation).__mro__:
        renderer = _RENDERERS.get(cls)
        if renderer is not None:
            return renderer(operation, default_database)
    name = type(operation).__name__
    raise UnsupportedOperation(
        f"the ClickHouse backend cannot apply operation type '{name}' ({type(operation).__module__}.{name})",
        "apply it with a RawSql operation instead, or install the plugin that renders it for ClickHouse",
    )


def alter_target(sql: str, default_database: str) -> tuple[str, str] | None:
    """``(database, table)`` when ``sql`` is an ``ALTER TABLE [db.]t …`` statement, else None."""
    tokens = tokenize(sql)
    if len(tokens) < 3 or not (tokens[0].is_word("ALTER") and tokens[1].is_word("TABLE")) or not tokens[2].is_name:
        return None
    if len(tokens) >= 5 and tokens[3].is_punct(".") and tokens[4].is_name:
        return tokens[2].value, tokens[4].value
    return default_database, tokens[2].value


# -- helpers --------------------------------------------------------------------------------------------


def _on_cluster(cluster: str | None) -> str:
    return f" ON CLUSTER {quote_identifier(cluster)}" if cluster else ""


def _alter(operation: TableOperation, default_database: str, clause: str, *, mutation: bool = False) -> Statement:
    """``ALTER TABLE db.t [ON CLUSTER c] <clause>``, watched for mutations."""
    database = operation.database or default_database
    sql = (f"ALTER TABLE {qualified_name(operation.table, database)}{_on_cluster(operation.cluster_name)} "
           f"{clause}")
    return Statement(sql, watch=(database, operation.table), mutation=mutation, metadata_only=not mutation)


# -- tables ---------------------------------------------------------------------------------------------


def _create_table(operation: CreateTable, default_database: str) -> list[Statement]:
    # an integration engine's arguments may be evaluated in the session (Merge(currentDatabase(), …)): as Moose
    # runs it, in the configured database
    session = default_database if isinstance(operation.table.engine, IntegrationEngine) else None
    return [Statement(render_create_table(operation.table, default_database=default_database),
                      session_database=session)]


def _drop_table(operation: DropTable, default_database: str) -> list[Statement]:
    database = operation.database or default_database
    return [Statement(render_drop_table(operation.table, database=database, cluster=operation.cluster_name))]


# -- columns --------------------------------------------------------------------------------------------


def _add_column(operation: AddTableColumn, default_database: str) -> list[Statement]:
    position = "FIRST" if operation.after_column is None else f"AFTER {quote_identifier(operation.after_column)}"
    return [_alter(operation, default_database, f"ADD COLUMN {render_column(operation.column)} {position}")]


def _drop_column(operation: DropTableColumn, default_database: str) -> list[Statement]:
    clause = f"DROP COLUMN IF EXISTS {quote_identifier(operation.column_name)}"
    return [_alter(operation, default_database, clause, mutation=True)]


def _rename_column(operation: RenameTableColumn, default_database: str) -> list[Statement]:
    clause = (f"RENAME COLUMN {quote_identifier(operation.before_column_name)} "
              f"TO {quote_identifier(operation.after_column_name)}")
    return [_alter(operation, default_database, clause, mutation=True)]


def _definition_without_comment(column: Column) -> str:
    return render_column(attrs.evolve(column, comment=None))


def _modify_column(operation: ModifyTableColumn, default_database: str) -> list[Statement]:
    """Comment-only: ``MODIFY COLUMN c COMMENT '…'``. Otherwise ``MODIFY COLUMN c REMOVE <property>`` for
    each property the column loses, then ``MODIFY COLUMN IF EXISTS <full definition>`` (ClickHouse keeps
    whatever a ``MODIFY COLUMN`` does not mention, hence the explicit removals)."""
    before, after = operation.before_column, operation.after_column
    if before.name != after.name:
        raise PlanInvalid(
            f"ModifyTableColumn on table '{operation.table}' changes the column name from '{before.name}' to "
            f"'{after.name}'",
            "rename columns with a RenameTableColumn operation",
        )
    name = quote_identifier(after.name)
    if _definition_without_comment(before) == _definition_without_comment(after) and before.comment != after.comment:
        comment = quote_string(after.comment or "")
        return [_alter(operation, default_database, f"MODIFY COLUMN {name} COMMENT {comment}")]
    statements = [_alter(operation, default_database, f"MODIFY COLUMN {name} REMOVE {keyword}")
                  for attribute, keyword in _REMOVABLE
                  if getattr(before, attribute) and not getattr(after, attribute)]
    starts_mutation = column_type(before) != column_type(after) or bool(after.ttl and after.ttl != before.ttl)
    settle = _needs_null_default(before, after)
    definition = render_column(attrs.evolve(after, default=_null_default(after)) if settle else after)
    statements.append(_alter(operation, default_database, f"MODIFY COLUMN IF EXISTS {definition}",
                             mutation=starts_mutation))
    if settle:  # the default only served the NULLs already stored: the column has none of its own
        statements.append(_alter(operation, default_database, f"MODIFY COLUMN {name} REMOVE DEFAULT"))
    return statements


def _needs_null_default(before: Column, after: Column) -> bool:
    """Nullable → not Nullable without a declared default: ClickHouse needs one for the NULLs it holds."""
    return (before.nullable and not after.nullable and after.default is None and after.materialized is None
            and after.alias is None)


def _null_default(after: Column) -> str:
    """What stored NULLs become: the type's default value."""
    return f"defaultValueOfTypeName({quote_string(column_type(after))})"


# -- table properties -----------------------------------------------------------------------------------


def _modify_settings(operation: ModifyTableSettings, default_database: str) -> list[Statement]:
    """``MODIFY SETTING`` for changed and added keys, then ``RESET SETTING`` for removed ones (none: nothing)."""
    before, after = operation.before_settings or {}, operation.after_settings or {}
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    removed = [key for key in before if key not in after]
    statements = []
    if changed:
        statements.append(_alter(operation, default_database, f"MODIFY SETTING {render_settings(changed)}"))
    if removed:
        for key in removed:
            if not _SETTING_NAME.fullmatch(key):
                raise ValueError(f"{key!r} is not a ClickHouse setting name")
        statements.append(_alter(operation, default_database, f"RESET SETTING {', '.join(removed)}"))
    return statements


def _modify_ttl(operation: ModifyTableTtl, default_database: str) -> list[Statement]:
    if operation.after is None:
        return [_alter(operation, default_database, "REMOVE TTL")]
    return [_alter(operation, default_database, f"MODIFY TTL {operation.after}", mutation=True)]


def _add_index(operation: AddTableIndex, default_database: str) -> list[Statement]:
    return [_alter(operation, default_database, f"ADD {render_index(operation.index)}")]


def _drop_index(operation: DropTableIndex, default_database: str) -> list[Statement]:
    return [_alter(operation, default_database, f"DROP INDEX {quote_identifier(operation.index_name)}",
                   mutation=True)]


def _add_projection(operation: AddTableProjection, default_database: str) -> list[Statement]:
    projection = operation.projection
    clause = f"ADD PROJECTION IF NOT EXISTS {quote_identifier(projection.name)} ({projection.body})"
    return [_alter(operation, default_database, clause)]


def _drop_projection(operation: DropTableProjection, default_database: str) -> list[Statement]:
    clause = f"DROP PROJECTION IF EXISTS {quote_identifier(operation.projection_name)}"
    return [_alter(operation, default_database, clause, mutation=True)]


def _modify_sample_by(operation: ModifySampleBy, default_database: str) -> list[Statement]:
    return [_alter(operation, default_database, f"MODIFY SAMPLE BY {operation.expression}")]


def _remove_sample_by(operation: RemoveSampleBy, default_database: str) -> list[Statement]:
    return [_alter(operation, default_database, "REMOVE SAMPLE BY")]


# -- views and raw SQL ----------------------------------------------------------------------------------


def _create_view(operation: CreateView, default_database: str) -> list[Statement]:
    view = View(name=operation.name, select_sql=operation.select_sql, database=operation.database)
    return [Statement(render_create_view(view, default_database=default_database),
                      session_database=operation.database or default_database)]


def _drop_view(operation: DropView | DropMaterializedView, default_database: str) -> list[Statement]:
    return [Statement(render_drop_view(operation.name, database=operation.database or default_database))]


def _create_materialized_view(operation: CreateMaterializedView, default_database: str) -> list[Statement]:
    view = MaterializedView(name=operation.name, select_sql=operation.select_sql,
                            target_table=operation.target_table, database=operation.database,
                            target_database=operation.target_database)
    return [Statement(render_create_materialized_view(view, default_database=default_database),
                      session_database=operation.database or default_database)]


def _recreate_with_copy(operation: RecreateTableWithCopy, default_database: str) -> list[Statement]:
    """See :mod:`muskox_clickhouse.recreate_copy`."""
    from muskox_clickhouse.recreate_copy import recreate_with_copy_sql

    return [Statement(sql) for sql in recreate_with_copy_sql(operation, default_database)]


def _add_constraint(operation: AddTableConstraint, default_database: str) -> list[Statement]:
    return [_alter(operation, default_database, f"ADD {render_constraint(operation.constraint)}")]


def _drop_constraint(operation: DropTableConstraint, default_database: str) -> list[Statement]:
    clause = f"DROP CONSTRAINT IF EXISTS {quote_identifier(operation.constraint_name)}"
    return [_alter(operation, default_database, clause)]


def _sql_resource(statements: tuple[str, ...], default_database: str) -> list[Statement]:
    """A SQL resource's statements as written, with the default database current (as raw SQL runs)."""
    return [Statement(sql, session_database=default_database, watch=alter_target(sql, default_database))
            for sql in statements]


def _raw_sql(operation: RawSql, default_database: str) -> list[Statement]:
    """Each statement as written, with the default database current; an ``ALTER TABLE`` is watched."""
    return [Statement(sql, session_database=default_database, watch=alter_target(sql, default_database))
            for sql in operation.sql]


_RENDERERS: dict[type[Operation], Callable[[Any, str], list[Statement]]] = {
    CreateTable: _create_table,
    DropTable: _drop_table,
    AddTableColumn: _add_column,
    DropTableColumn: _drop_column,
    ModifyTableColumn: _modify_column,
    RenameTableColumn: _rename_column,
    ModifyTableSettings: _modify_settings,
    ModifyTableTtl: _modify_ttl,
    AddTableIndex: _add_index,
    DropTableIndex: _drop_index,
    AddTableProjection: _add_projection,
    DropTableProjection: _drop_projection,
    ModifySampleBy: _modify_sample_by,
    RemoveSampleBy: _remove_sample_by,
    CreateView: _create_view,
    DropView: _drop_view,
    CreateMaterializedView: _create_materialized_view,
    DropMaterializedView: _drop_view,
    RawSql: _raw_sql,
    RecreateTableWithCopy: _recreate_with_copy,
    AddTableConstraint: _add_constraint,
    DropTableConstraint: _drop_constraint,
    CreateSqlResource: lambda op, db: _sql_resource(op.resource.setup, db),
    DropSqlResource: lambda op, db: _sql_resource(op.resource.teardown, db),
    **DICTIONARY_RENDERERS,
}
