"""Dictionaries in ClickHouse SQL: ``CREATE [OR REPLACE] DICTIONARY`` from Moose's encoding, the canonical form
that compares a declared dictionary with the statement the server reports, and reading dictionaries back from
the rows of ``system.tables`` introspection already reads (no extra query).

Source credentials: the encoding holds ``[HIDDEN]`` (as every file does); the statement sent takes the value from
:attr:`~muskox.model.dictionary.Dictionary.secrets` (the code's, restored before the operation runs), and the
server reports ``'[HIDDEN]'`` again, so the canonical form always masks them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from muskox.errors import PlanInvalid
from muskox.model.dictionary import Dictionary
from muskox.model.engines import HIDDEN
from muskox.model.operations import CreateDictionary, DropDictionary, Operation, ReplaceDictionary
from muskox.model.table import LifeCycle
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.sql_lexer import tokenize

if TYPE_CHECKING:
    from muskox_clickhouse.alter import Statement

__all__ = ["DICTIONARY_RENDERERS", "canonical_dictionary_sql", "dictionaries_from_rows", "normalize_dictionary",
           "render_create_dictionary"]

_RUNTIME_ENV = "__MOOSE_RUNTIME_ENV__:"
_SECRET_KEYS = frozenset({"PASSWORD", "SECRET_ACCESS_KEY"})
_SOURCE_NAMES = {"CLICK_HOUSE": "CLICKHOUSE"}
_SOURCE_KEYS = {"where_clause": "WHERE", "db": "DB"}
_COLUMN_FLAGS = (("isHierarchical", "HIERARCHICAL"), ("isInjective", "INJECTIVE"), ("isObjectId", "IS_OBJECT_ID"))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return quote_string(str(value))


def _secret(key: str, value: Any, secrets: Mapping[str, str], name: str) -> Any:
    """A source credential: the code's value when the encoding hides it, an environment marker resolved."""
    if value == HIDDEN:
        value = secrets.get(key, HIDDEN)
    if isinstance(value, str) and value.startswith(_RUNTIME_ENV):
        variable = value[len(_RUNTIME_ENV):]
        value = os.environ.get(variable, value)
    if value == HIDDEN or (isinstance(value, str) and value.startswith(_RUNTIME_ENV)):
        raise PlanInvalid(f"dictionary '{name}': source {key} is [HIDDEN] and neither the code nor the environment "
                          f"gives it", "declare the dictionary's source with its credentials in the code "
                          "(moose_runtime_env.get(...) for a value from the environment), then migrate again")
    return value


def _source(dictionary: Dictionary, database: str, *, masked: bool) -> str:
    encoding = dictionary.encoding
    source = encoding.get("source") or {}
    invalidate = source.get("invalidateQuery") or encoding.get("invalidateQuery")
    kind = source.get("type")
    if kind == "TABLE":
        parts = [f"DB {quote_string(source.get('database') or database)}", f"TABLE {quote_string(source['table'])}"]
    elif kind == "QUERY":
        parts = [f"QUERY {quote_string(source['query'])}"]
    elif kind == "EXTERNAL":
        external = dict(source.get("externalSource") or {})
        source_type = str(external.pop("source_type", "")).upper()
        params = []
        for key, value in external.items():
            if value is None:
                continue
            keyword = _SOURCE_KEYS.get(key, key.upper())
            if keyword in _SECRET_KEYS:
                value = HIDDEN if masked else _secret(key, value, dictionary.secrets, dictionary.name)
            params.append(f"{keyword} {_literal(value)}")
        return f"{_SOURCE_NAMES.get(source_type, source_type)}({' '.join(params)})"
    else:
        raise PlanInvalid(f"dictionary '{dictionary.name}': unknown source type {kind!r}",
                          "regenerate the plan from the code")
    if invalidate:
        parts.append(f"INVALIDATE_QUERY {quote_string(invalidate)}")
    return f"CLICKHOUSE({' '.join(parts)})"


def _lifetime(lifetime: Mapping[str, Any] | None) -> str:
    lifetime = lifetime or {"type": "STATIC"}
    if lifetime.get("type") == "SINGLE":
        return f"LIFETIME(MIN 0 MAX {int(lifetime['seconds'])})"
    if lifetime.get("type") == "RANGE":
        return f"LIFETIME(MIN {int(lifetime['min'])} MAX {int(lifetime['max'])})"
    return "LIFETIME(MIN 0 MAX 0)"


def _layout(layout: Mapping[str, Any]) -> str:
    params = [f"{key.upper()} {_literal(value)}" for key, value in layout.items()
              if key != "type" and value is not None]
    return f"LAYOUT({layout['type']}({' '.join(params)}))"


def _column(column: Mapping[str, Any]) -> str:
    text = f"{quote_identifier(column['name'])} {column['typeString']}"
    if column.get("defaultValue") is not None:
        text += f" DEFAULT {column['defaultValue']}"
    if column.get("expression") is not None:
        text += f" EXPRESSION {column['expression']}"
    text += "".join(f" {keyword}" for key, keyword in _COLUMN_FLAGS if column.get(key))
    if column.get("comment") is not None:
        text += f" COMMENT {quote_string(column['comment'])}"
    return text


def _settings(settings: Mapping[str, Any]) -> str:
    items = [f"{key} = {value if str(value).lstrip('-').isdigit() else quote_string(str(value))}"
             for key, value in settings.items()]
    return f" SETTINGS({', '.join(items)})" if items else ""


def render_create_dictionary(dictionary: Dictionary, default_database: str, *, replace: bool = False,
                             masked: bool = False) -> str:
    """The ``CREATE [OR REPLACE] DICTIONARY`` statement of ``dictionary``; ``masked``: credentials as
    ``[HIDDEN]`` (for people and for comparison), else the code's values (for the server)."""
    encoding = dictionary.encoding
    database = dictionary.database or default_database
    cluster = f" ON CLUSTER {quote_identifier(dictionary.cluster)}" if dictionary.cluster else ""
    verb = "CREATE OR REPLACE DICTIONARY" if replace else "CREATE DICTIONARY"
    columns = ", ".join(_column(c) for c in encoding.get("columns") or [])
    key = ", ".join(quote_identifier(k) for k in encoding.get("primaryKey") or [])
    comment = f" COMMENT {quote_string(encoding['comment'])}" if encoding.get("comment") else ""
    return (f"{verb} {quote_identifier(database)}.{quote_identifier(dictionary.name)}{cluster} ({columns}) "
            f"PRIMARY KEY {key} SOURCE({_source(dictionary, database, masked=masked)}) "
            f"{_lifetime(encoding.get('lifetime'))} {_layout(encoding.get('layout') or {'type': 'HASHED'})}"
            f"{_settings(encoding.get('settings') or {})}{comment}")


def canonical_dictionary_sql(sql: str) -> str:
    """A comparison key of a ``CREATE DICTIONARY`` statement: its tokens with quoting, spacing, ``OR REPLACE``,
    ``IF NOT EXISTS``, ``ON CLUSTER`` and the database-qualified name left out, credentials masked,
    ``LIFETIME(n)`` written as ``LIFETIME(MIN 0 MAX n)`` and the source's parameters in key order."""
    tokens = tokenize(sql)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.is_word("OR") and index + 1 < len(tokens) and tokens[index + 1].is_word("REPLACE"):
            index += 2
            continue
        if token.is_word("IF") and index + 2 < len(tokens) and tokens[index + 2].is_word("EXISTS"):
            index += 3
            continue
        if token.is_word("ON") and index + 2 < len(tokens) and tokens[index + 1].is_word("CLUSTER"):
            index += 3
            continue
        if token.is_word("DICTIONARY") and out and out[-1].upper() == "CREATE":
            out.append("DICTIONARY")
            index += 1
            # the name, qualified or not: the map key already tells dictionaries apart
            while index < len(tokens) and (tokens[index].is_name or tokens[index].is_punct(".")):
                index += 1
            continue
        if (token.is_word("LIFETIME") and index + 3 < len(tokens) and tokens[index + 2].kind == "number"
                and tokens[index + 3].is_punct(")")):
            out += ["LIFETIME", "(", "MIN", "0", "MAX", tokens[index + 2].value, ")"]
            index += 4
            continue
        if token.kind == "string" and out and out[-1].upper() in _SECRET_KEYS:
            out.append(repr(HIDDEN))
        elif token.kind == "string":
            out.append(repr(token.value))
        elif token.kind in ("word", "quoted"):
            out.append(token.value)
        else:
            out.append(token.value or token.text)
        index += 1
    return " ".join(_sorted_source(out))


def _sorted_source(out: list[str]) -> list[str]:
    """The ``KEY value`` pairs of ``SOURCE(TYPE(…))`` in key order (the server keeps the order they were written)."""
    for start in range(len(out) - 3):
        if out[start].upper() == "SOURCE" and out[start + 1] == "(" and out[start + 3] == "(":
            end = out.index(")", start + 4) if ")" in out[start + 4:] else -1
            inner = out[start + 4:end]
            if end > 0 and len(inner) % 2 == 0:
                pairs = sorted(zip(inner[::2], inner[1::2], strict=True))
                return [*out[:start + 4], *(t for pair in pairs for t in pair), *out[end:]]
    return out


def normalize_dictionary(dictionary: Dictionary, default_database: str) -> Dictionary:
    """The comparable form: the database filled in and the canonical statement (the server's when
    introspected, else the code's rendered) in ``server_sql``; lifecycle, cluster and metadata left out."""
    sql = dictionary.server_sql if dictionary.server_sql is not None \
        else render_create_dictionary(dictionary, default_database, masked=True)
    return Dictionary(name=dictionary.name, database=dictionary.database or default_database,
                      life_cycle=LifeCycle.FULLY_MANAGED, definition="{}", server_sql=canonical_dictionary_sql(sql))


def dictionaries_from_rows(rows: Iterable[tuple[Any, ...]]) -> list[Dictionary]:
    """The dictionaries among ``system.tables`` rows ``(database, name, engine, create_table_query, …)``: the
    server's statement, with an encoding of what it can tell (name and database)."""
    result = []
    for database, name, engine, create_query, *_ in rows:
        if engine == "Dictionary":
            result.append(Dictionary(name=name, database=database,
                                     definition=f'{{"database":{_json(database)},"name":{_json(name)}}}',
                                     server_sql=create_query))
    return result


def _json(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


# -- the renderers of alter.py's table ------------------------------------------------------------------------


def _create(operation: CreateDictionary, default_database: str) -> list[Statement]:
    from muskox_clickhouse.alter import Statement

    return [Statement(render_create_dictionary(operation.dictionary, default_database,
                                               masked=_masked(operation.dictionary)))]


def _replace(operation: ReplaceDictionary, default_database: str) -> list[Statement]:
    from muskox_clickhouse.alter import Statement

    return [Statement(render_create_dictionary(operation.after, default_database, replace=True,
                                               masked=_masked(operation.after)))]


def _drop(operation: DropDictionary, default_database: str) -> list[Statement]:
    from muskox_clickhouse.alter import Statement

    database = operation.database or default_database
    cluster = f" ON CLUSTER {quote_identifier(operation.cluster_name)}" if operation.cluster_name else ""
    return [Statement(f"DROP DICTIONARY IF EXISTS {quote_identifier(database)}.{quote_identifier(operation.name)}"
                      f"{cluster}")]


def _masked(dictionary: Dictionary) -> bool:
    """Rendered for people (``plan --sql``: the secrets were taken out) unless the code's secrets are present."""
    return not dictionary.secrets


def masked_dictionary_operation(operation: Operation) -> Operation:
    """``operation`` without the code's credentials (``plan --sql`` and every message show ``[HIDDEN]``)."""
    if isinstance(operation, CreateDictionary):
        return attrs.evolve(operation, dictionary=attrs.evolve(operation.dictionary, secrets={}))
    if isinstance(operation, ReplaceDictionary):
        return attrs.evolve(operation, before=attrs.evolve(operation.before, secrets={}),
                            after=attrs.evolve(operation.after, secrets={}))
    return operation


DICTIONARY_RENDERERS: dict[type[Operation], Callable[[Any, str], list[Statement]]] = {
    CreateDictionary: _create,
    ReplaceDictionary: _replace,
    DropDictionary: _drop,
}
