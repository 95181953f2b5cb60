"""Quoting for ClickHouse SQL: every identifier and string literal muskox emits goes through here."""

from __future__ import annotations

__all__ = ["quote_identifier", "quote_string"]


def quote_string(value: str) -> str:
    """A ClickHouse single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    """A ClickHouse back-quoted identifier."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
