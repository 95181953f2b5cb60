"""Python source for the options of an ``OlapDictionary`` (``muskox db pull``), from Moose's encoding of a
dictionary as the database reported it (read by :meth:`muskox.plugin.dialect.Dialect.describe_dictionary`).

What the declaration API cannot say raises :class:`ValueError` with the reason (the dictionary is then left out
with a warning): a table source whose table is not declared in the same module, an ``INVALIDATE_QUERY`` on a
local source, an unknown layout or source, a parameter the source class has not got. Source credentials are never
written: each becomes ``moose_runtime_env.get("<DATABASE>_<DICTIONARY>_<FIELD>")``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from muskox.declare import dictionary as declared
from muskox.files.integration_source import env_name
from muskox.model.engines import HIDDEN

__all__ = ["DICTIONARY_API", "dictionary_options"]

_SOURCE_CLASSES = {"MYSQL": "MysqlSource", "POSTGRESQL": "PostgresqlSource", "CLICK_HOUSE": "ClickHouseRemoteSource",
                   "HTTP": "HttpSource", "REDIS": "RedisSource", "MONGODB": "MongoDbSource",
                   "EXECUTABLE": "ExecutableSource", "S3": "S3Source"}
_SECRETS = ("password", "secret_access_key", "access_key_id")
_COLUMN_FLAGS = (("isHierarchical", "hierarchical"), ("isInjective", "injective"), ("isObjectId", "is_object_id"))

DICTIONARY_API = ("OlapDictionary", "OlapDictionaryConfig", "DictionaryColumn", "DictionaryLifetime",
                  *sorted(n for n in vars(declared) if n.endswith("Layout") and n != "DictionaryLayout"),
                  *_SOURCE_CLASSES.values())
"""Declaration API names a pulled dictionary may use."""


def _class_arguments(class_name: str, values: Mapping[str, Any], env_prefix: str) -> str:
    """``ClassName(key=value, …)``, checked against the class's fields; credentials as placeholders."""
    cls = getattr(declared, class_name)
    fields = {field.name for field in attrs.fields(cls)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise ValueError(f"{class_name} has no parameter {', '.join(unknown)}")
    arguments = []
    for key, value in values.items():
        if value is None:
            continue
        if key in _SECRETS or value == HIDDEN:
            arguments.append(f"{key}=moose_runtime_env.get({env_name(env_prefix, key)!r})")
        else:
            arguments.append(f"{key}={value!r}")
    return f"{class_name}({', '.join(arguments)})"


def _source(source: Mapping[str, Any], table_variable: Callable[[str | None, str], str | None],
            references: Callable[[str], list[str]], env_prefix: str) -> list[str]:
    kind = source.get("type")
    if kind in ("TABLE", "QUERY") and source.get("invalidateQuery") is not None:
        raise ValueError("its INVALIDATE_QUERY cannot be declared (only DictionaryInvalidation(column, fn))")
    if kind == "TABLE":
        variable = table_variable(source.get("database"), str(source.get("table")))
        if variable is None:
            raise ValueError(f"its source table {source.get('database')}.{source.get('table')} is not pulled")
        return [f"source_table={variable}"]
    if kind == "QUERY":
        query = str(source.get("query"))
        found = references(query)
        if not found:
            raise ValueError("its query names no pulled table (source_tables needs at least one)")
        return [f"source_query={query!r}", *([f"source_tables=[{', '.join(found)}]"] if found else [])]
    external = dict(source.get("externalSource") or {})
    source_type = str(external.pop("source_type", ""))
    class_name = _SOURCE_CLASSES.get(source_type)
    if class_name is None:
        raise ValueError(f"its source {source_type or '?'} has no declaration class")
    return [f"external_source={_class_arguments(class_name, external, env_prefix)}"]


def _layout(layout: Mapping[str, Any]) -> str:
    kind = str(layout.get("type", ""))
    class_name = "".join(part.capitalize() for part in kind.split("_")) + "Layout"
    if class_name not in DICTIONARY_API:
        raise ValueError(f"its layout {kind or '?'} has no declaration class")
    return _class_arguments(class_name, {k: v for k, v in layout.items() if k != "type"}, "")


def _lifetime(lifetime: Mapping[str, Any]) -> list[str]:
    if lifetime.get("type") == "SINGLE":
        return [f"lifetime={int(lifetime['seconds'])}"]
    if lifetime.get("type") == "RANGE":
        return [f"lifetime=DictionaryLifetime(min={int(lifetime['min'])}, max={int(lifetime['max'])})"]
    return []


def _columns(columns: list[Mapping[str, Any]]) -> list[str]:
    attributes = []
    for column in columns:
        options = [f"{key}={column[source]!r}" for source, key in (("defaultValue", "default"),
                                                                   ("expression", "expression"),
                                                                   ("comment", "comment"))
                   if column.get(source) is not None]
        options += [f"{key}=True" for source, key in _COLUMN_FLAGS if column.get(source)]
        if options:
            attributes.append(f"{column['name']!r}: DictionaryColumn({', '.join(options)})")
    return [f"columns={{{', '.join(attributes)}}}"] if attributes else []


def dictionary_options(encoding: Mapping[str, Any], *, database: str | None, life_cycle: str | None,
                       table_variable: Callable[[str | None, str], str | None],
                       references: Callable[[str], list[str]], env_prefix: str) -> list[str]:
    """The ``OlapDictionaryConfig(…)`` arguments of ``encoding``.

    :param database: written as ``database=`` (None: the project's default database).
    :param life_cycle: ``LifeCycle.<NAME>`` to write (None: the default).
    :param table_variable: the variable of a declared table, from (database, name).
    :param references: the variables of declared tables a query names.
    :raises ValueError: the declaration API cannot say it (the reason).
    """
    if "source" not in encoding or "layout" not in encoding:
        raise ValueError("the server's statement could not be read")
    options = _source(encoding["source"], table_variable, references, env_prefix)
    options.append(f"primary_key={list(encoding.get('primaryKey') or [])!r}")
    options.append(f"layout={_layout(encoding['layout'])}")
    options += _lifetime(encoding.get("lifetime") or {})
    options += _columns(list(encoding.get("columns") or []))
    if encoding.get("settings"):
        options.append(f"settings={dict(encoding['settings'])!r}")
    if encoding.get("comment"):
        options.append(f"comment={encoding['comment']!r}")
    if database is not None:
        options.append(f"database={database!r}")
    if life_cycle is not None:
        options.append(f"life_cycle={life_cycle}")
    return options
