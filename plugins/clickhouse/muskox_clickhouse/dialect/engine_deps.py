"""Which tables a table's engine reads or writes: ``Distributed(cluster, db, table, …)`` and
``Buffer(db, table, …)`` name their target table, which must exist first and be dropped last (declared, the
engine is an :class:`~muskox.model.engines.IntegrationEngine`; read from a server, it may be an
:class:`~muskox.model.engines.OtherEngine` written as SQL)."""

from __future__ import annotations

from muskox.model.engines import IntegrationEngine, OtherEngine
from muskox.model.table import Table
from muskox_clickhouse.dialect.sql_lexer import Token, split_top_level, tokenize

__all__ = ["distributed_arguments", "engine_dependencies"]

#: Engine name → the position of the target table among its arguments.
_TARGET_ARGUMENT = {"Distributed": 2, "Buffer": 1}


def _plain(tokens: list[Token]) -> str | None:
    """A string literal's or an identifier's value; None for an expression."""
    if len(tokens) == 1 and tokens[0].kind in ("string", "word", "quoted"):
        return tokens[0].value
    return None


def distributed_arguments(engine: OtherEngine) -> list[str | None]:
    """The engine's arguments as plain values (None where an argument is an expression)."""
    if engine.arguments is None:
        return []
    return [_plain(part) for part in split_top_level(tokenize(engine.arguments))]


def engine_dependencies(table: Table) -> frozenset[str]:
    """The target table of a ``Distributed`` or ``Buffer`` table, when its arguments name one plainly."""
    engine = table.engine
    if not isinstance(engine, (OtherEngine, IntegrationEngine)) or engine.name not in _TARGET_ARGUMENT:
        return frozenset()
    target: str | None
    if isinstance(engine, IntegrationEngine):
        value = engine.field("target_table")
        target = value if isinstance(value, str) else None
    else:
        arguments = distributed_arguments(engine)
        position = _TARGET_ARGUMENT[engine.name]
        target = arguments[position] if len(arguments) > position else None
    return frozenset({target}) if target and target != table.name else frozenset()
