"""The identifiers a ClickHouse expression mentions: what the planner orders column drops and adds by.

The answer errs on the side of too many names: a name that is not a column of the table orders nothing. Left out
are function names (a word before ``(``), lambda parameters (a word before ``->``), aliases (a word after
``AS``), the part after a dot (``t.1``, ``tup.name``: the column is the part before it), and the bare keywords of
keys, TTL rules and projections (``INTERVAL``, ``DAY``, ``DELETE``, ``GROUP``, …). A quoted name always counts.
"""

from __future__ import annotations

from functools import lru_cache

from muskox_clickhouse.dialect.sql_lexer import tokenize

__all__ = ["identifiers"]

_KEYWORDS = frozenset({
    "AND", "OR", "NOT", "XOR", "IS", "NULL", "TRUE", "FALSE", "IN", "LIKE", "ILIKE", "BETWEEN", "CASE", "WHEN",
    "THEN", "ELSE", "END", "AS", "ASC", "DESC", "DISTINCT", "INTERVAL", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK",
    "MONTH", "QUARTER", "YEAR", "NANOSECOND", "MICROSECOND", "MILLISECOND", "TO", "DISK", "VOLUME", "DELETE",
    "WHERE", "GROUP", "BY", "SET", "RECOMPRESS", "CODEC", "SELECT", "FROM", "ORDER", "LIMIT", "WITH", "HAVING",
    "ALL", "ANY", "GLOBAL", "ARRAY", "JOIN", "ON", "USING", "NULLS", "FIRST", "LAST", "COLLATE", "TUPLE"
})


@lru_cache(maxsize=4096)
def identifiers(expression: str) -> frozenset[str]:
    """The column names ``expression`` may reference (see the module)."""
    tokens = tokenize(expression)
    found: set[str] = set()
    for index, token in enumerate(tokens):
        if not token.is_name:
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        previous = tokens[index - 1] if index else None
        if following is not None and following.is_punct("(", "->"):
            continue
        if previous is not None and (previous.is_punct(".") or previous.is_word("AS")):
            continue
        if token.kind == "word" and token.text.upper() in _KEYWORDS:
            continue
        found.add(token.value)
    return frozenset(found)
