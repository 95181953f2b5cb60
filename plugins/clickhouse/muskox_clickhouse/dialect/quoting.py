"""Quoting for ClickHouse SQL: every identifier and string literal muskox emits goes through here."""

from __future__ import annotations

from muskox_clickhouse.dialect.sql_lexer import tokenize

__all__ = ["quote_identifier", "quote_string", "referenced_name"]


def quote_string(value: str) -> str:
    """A ClickHouse single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    """A ClickHouse back-quoted identifier."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def referenced_name(reference: str) -> str:
    """The last part of a table reference: ``"`db`.`events`"``, ``"db.events"`` and ``"events"`` name ``events``."""
    names = [token for token in tokenize(reference) if token.kind in ("word", "quoted")]
    return names[-1].value if names else reference.strip()
