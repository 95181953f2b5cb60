"""Reading a ``CREATE DICTIONARY`` statement the server reports back into Moose's encoding of the dictionary
(``olap_dictionaries``: columns, primary key, source, layout, lifetime, settings, comment), for ``muskox ls`` and
``muskox db pull``. Credentials stay as the server shows them (``[HIDDEN]``). A statement in a shape this module
does not read gives None; the caller keeps what it had.
"""

from __future__ import annotations

from typing import Any

from muskox_clickhouse.dialect.sql_lexer import Token, matching_close, source_text, split_top_level, tokenize

__all__ = ["encoding_from_sql"]

_COLUMN_FLAGS = {"HIERARCHICAL": "isHierarchical", "INJECTIVE": "isInjective", "IS_OBJECT_ID": "isObjectId"}
_SOURCE_TYPES = {"CLICKHOUSE": "CLICK_HOUSE"}
_SOURCE_KEYS = {"WHERE": "where_clause"}


def _value(tokens: list[Token]) -> Any:
    """A literal: a string, an integer, a float, else the text."""
    if len(tokens) == 1 and tokens[0].kind == "string":
        return tokens[0].value
    if len(tokens) == 1 and tokens[0].kind == "number":
        text = tokens[0].text
        return int(text) if text.isdigit() else float(text)
    return " ".join(t.text for t in tokens)


def _pairs(tokens: list[Token]) -> list[tuple[str, Any]] | None:
    """``KEY value KEY value …`` (values one token) as pairs; None when the shape is other."""
    if len(tokens) % 2:
        return None
    return [(tokens[i].text.upper(), _value([tokens[i + 1]])) for i in range(0, len(tokens), 2)]


def _column(sql: str, item: list[Token]) -> dict[str, Any] | None:
    if len(item) < 2 or not item[0].is_name:
        return None
    column: dict[str, Any] = {"name": item[0].value}
    rest = item[1:]
    keywords = ("DEFAULT", "EXPRESSION", "COMMENT", *_COLUMN_FLAGS)
    end = next((i for i, t in enumerate(rest) if t.is_word(*keywords) and i > 0), len(rest))
    column["typeString"] = source_text(sql, rest[:end])
    index = end
    while index < len(rest):
        word = rest[index].text.upper()
        if word in _COLUMN_FLAGS:
            column[_COLUMN_FLAGS[word]] = True
            index += 1
            continue
        stop = next((i for i in range(index + 1, len(rest)) if rest[i].is_word(*keywords)), len(rest))
        value = rest[index + 1:stop]
        if not value:
            return None
        if word == "COMMENT":
            column["comment"] = _value(value)
        else:
            column["defaultValue" if word == "DEFAULT" else "expression"] = source_text(sql, value)
        index = stop
    return column


def _source(inner: list[Token]) -> dict[str, Any] | None:
    """``CLICKHOUSE(DB 'd' TABLE 't')``, ``CLICKHOUSE(QUERY '…')`` or an external source ``MYSQL(…)``."""
    if len(inner) < 3 or not inner[1].is_punct("("):
        return None
    kind = inner[0].text.upper()
    pairs = _pairs(inner[2:matching_close(inner, 1)])
    if pairs is None:
        return None
    values = dict(pairs)
    invalidate = values.pop("INVALIDATE_QUERY", None)
    if kind == "CLICKHOUSE" and "HOST" not in values and set(values) <= {"DB", "TABLE", "QUERY"}:
        if "QUERY" in values:
            source: dict[str, Any] = {"type": "QUERY", "query": values["QUERY"]}
        elif "TABLE" in values:
            source = {"type": "TABLE", "table": values["TABLE"], "database": values.get("DB")}
        else:
            return None
        if invalidate is not None:
            source["invalidateQuery"] = invalidate
        return source
    external = {_SOURCE_KEYS.get(key, key.lower()): value for key, value in pairs}
    external["source_type"] = _SOURCE_TYPES.get(kind, kind)
    return {"type": "EXTERNAL", "externalSource": external}


def _layout(inner: list[Token]) -> dict[str, Any] | None:
    if len(inner) < 3 or not inner[1].is_punct("("):
        return None
    pairs = _pairs(inner[2:matching_close(inner, 1)])
    if pairs is None:
        return None
    return {"type": inner[0].text.upper(), **{key.lower(): value for key, value in pairs}}


def _lifetime(inner: list[Token]) -> dict[str, Any] | None:
    if len(inner) == 1 and inner[0].kind == "number":
        low, high = 0, int(inner[0].text)
    else:
        pairs = _pairs(inner)
        values = dict(pairs or [])
        if set(values) != {"MIN", "MAX"}:
            return None
        low, high = int(values["MIN"]), int(values["MAX"])
    if high == 0:
        return {"type": "STATIC"}
    if low == 0:
        return {"type": "SINGLE", "seconds": high}
    return {"type": "RANGE", "min": low, "max": high}


def _settings(inner: list[Token]) -> dict[str, Any] | None:
    settings: dict[str, Any] = {}
    for item in split_top_level(inner):
        if len(item) != 3 or not item[1].is_punct("="):
            return None
        settings[item[0].text] = str(_value([item[2]]))
    return settings


def encoding_from_sql(sql: str) -> dict[str, Any] | None:
    """Moose's encoding of the dictionary ``sql`` creates (without name and database), or None."""
    tokens = tokenize(sql)
    start = next((i for i, t in enumerate(tokens) if t.is_punct("(")), None)
    if start is None:
        return None
    close = matching_close(tokens, start)
    columns = [_column(sql, item) for item in split_top_level(tokens[start + 1:close])]
    if not columns or any(c is None for c in columns):
        return None
    encoding: dict[str, Any] = {"columns": columns, "settings": {}, "comment": None}
    index = close + 1
    while index < len(tokens):
        token = tokens[index]
        if token.is_word("PRIMARY") and index + 1 < len(tokens) and tokens[index + 1].is_word("KEY"):
            stop = next((i for i in range(index + 2, len(tokens)) if tokens[i].is_word("SOURCE")), len(tokens))
            encoding["primaryKey"] = [part[0].value for part in split_top_level(tokens[index + 2:stop])
                                      if len(part) == 1 and part[0].is_name]
            index = stop
        elif token.is_word("SOURCE", "LAYOUT", "LIFETIME", "SETTINGS") and index + 1 < len(tokens) \
                and tokens[index + 1].is_punct("("):
            end = matching_close(tokens, index + 1)
            inner = tokens[index + 2:end]
            reader = {"SOURCE": _source, "LAYOUT": _layout, "LIFETIME": _lifetime, "SETTINGS": _settings}
            value = reader[token.text.upper()](inner)
            if value is None:
                return None
            encoding[token.text.lower()] = value
            index = end + 1
        elif token.is_word("COMMENT") and index + 1 < len(tokens) and tokens[index + 1].kind == "string":
            encoding["comment"] = tokens[index + 1].value
            index += 2
        else:
            index += 1
    return encoding if {"primaryKey", "source", "layout"} <= encoding.keys() else None
