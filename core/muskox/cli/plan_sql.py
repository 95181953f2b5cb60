"""``--sql``: the statements ``migrate`` would send for a plan, in order, as a script a person can read and run.

Each statement is the backend's own rendering (:meth:`muskox.plugin.dialect.Dialect.statements`, the code its
``apply`` runs). muskox sends settings with each statement; the script sets them for the session instead
(``SET name = value`` before a statement that needs a value, ``SET name = DEFAULT`` once a statement runs without
it) and switches the current database with ``USE`` where the backend runs a statement inside one, so running the
script in one session gives the same schema. Operations of the stream backend (topics) are not SQL: the script
names them in a comment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.operations import Operation
from muskox.plugin.dialect import Dialect, PlannedStatement

SQL_JSON_SCHEMA_VERSION = 1


@attrs.frozen
class OperationSql:
    """An operation (1-based ``index``) and the statements it sends (none for a topic operation)."""

    index: int
    operation: Operation
    statements: tuple[PlannedStatement, ...]


def plan_statements(operations: Sequence[Operation], dialect: Dialect, default_database: str) -> list[OperationSql]:
    """Every operation's statements; a statement sent only when missing is listed the first time only."""
    seen: set[str] = set()
    result: list[OperationSql] = []
    for index, operation in enumerate(operations, 1):
        statements: list[PlannedStatement] = []
        if operation.backend == "olap":
            try:
                rendered = dialect.statements(operation, default_database)
            except NotImplementedError as exc:
                raise MuskoxError(f"--sql is not available: {exc}", "use the plan listing instead",
                                  exit_code=ExitCode.PLUGIN) from exc
            for statement in rendered:
                if statement.only_if_missing and statement.sql in seen:
                    continue
                seen.add(statement.sql)
                statements.append(statement)
        result.append(OperationSql(index, operation, tuple(statements)))
    return result


def sql_script(planned: Sequence[OperationSql], dialect: Dialect, default_database: str) -> str:
    """The script: a header, then per operation a comment line and its statements, settings and ``USE``."""
    total = len(planned)
    lines = [f"-- muskox: the statements `muskox migrate` sends for this plan, in order (default database "
             f"{dialect.quote_identifier(default_database)}).",
             "-- muskox sends settings with each statement; this script sets them for the session."]
    if not planned:
        lines.append("-- (no operations)")
    session: dict[str, str] = {}
    database: str | None = None
    for item in planned:
        lines.append("")
        lines.append(f"-- [{item.index}/{total}] {item.operation.describe()}")
        if not item.statements:
            lines.append(f"-- (applied through the {item.operation.backend} backend's API, not SQL)")
        for statement in item.statements:
            lines += _settings_lines(session, statement.settings, dialect)
            session = dict(statement.settings)
            if statement.database is not None and statement.database != database:
                lines.append(f"USE {dialect.quote_identifier(statement.database)};")
                database = statement.database
            note = f"  -- {statement.note}" if statement.note else ""
            lines.append(f"{statement.sql};{note}")
    return "\n".join(lines) + "\n"


def _settings_lines(session: Mapping[str, str], wanted: Mapping[str, str], dialect: Dialect) -> list[str]:
    lines = [f"SET {name} = DEFAULT;" for name in sorted(session) if name not in wanted]
    lines += [f"SET {name} = {_literal(value, dialect)};" for name, value in sorted(wanted.items())
              if session.get(name) != value]
    return lines


def _literal(value: str, dialect: Dialect) -> str:
    return value if value.lstrip("-").isdigit() else dialect.quote_string(value)


def sql_json(planned: Sequence[OperationSql]) -> list[dict[str, Any]]:
    """The statements in ``--json``: one object per statement, with the operation's index."""
    return [{"index": item.index, "sql": statement.sql, "settings": dict(statement.settings),
             "database": statement.database, "only_if_missing": statement.only_if_missing, "note": statement.note}
            for item in planned for statement in item.statements]
