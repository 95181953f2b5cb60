"""Integration engines (Kafka, S3Queue, S3, Buffer, Distributed, IcebergS3, Merge) in ClickHouse's SQL.

The model keeps them as Moose encodes them (:class:`muskox.model.engines.IntegrationEngine`: a name and Moose's
fields); this module writes their arguments after ``ENGINE = Name(…)``, reads the arguments the server reports
back into Moose's fields, and gives the form both sides are compared in: credentials as ``[HIDDEN]`` (the
server hides them too), ``currentDatabase()`` as the database it stands for, expressions canonical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from muskox.model.engines import IntegrationEngine
from muskox_clickhouse.dialect.quoting import quote_string
from muskox_clickhouse.dialect.sql_lexer import Token, split_top_level, tokenize

__all__ = ["integration_arguments", "normalize_integration_engine", "parse_integration_engine"]

_S3_LIKE = ("S3Queue", "S3", "IcebergS3")
_BUFFER_NUMBERS = ("num_layers", "min_time", "max_time", "min_rows", "max_rows", "min_bytes", "max_bytes")
_BUFFER_FLUSH = ("flush_time", "flush_rows", "flush_bytes")
_CURRENT_DATABASE = "currentDatabase()"


def _string(value: object) -> str:
    return quote_string(str(value))


def _s3_arguments(engine: IntegrationEngine, path_field: str) -> list[str]:
    args = [_string(engine.field(path_field))]
    key, secret = engine.field("aws_access_key_id"), engine.field("aws_secret_access_key")
    if key is not None and secret is not None:
        args += [_string(key), _string(secret)]
    args.append(_string(engine.field("format")))
    if engine.field("compression") is not None:
        args.append(_string(engine.field("compression")))
    headers = engine.field("headers")
    if isinstance(headers, tuple) and headers:
        args.append("headers(" + ", ".join(f"{_string(k)} = {_string(v)}" for k, v in headers) + ")")
    return args


def integration_arguments(engine: IntegrationEngine) -> list[str]:
    """The engine's arguments as SQL, in ClickHouse's positional order (credentials as given: real values when
    the engine comes from code, ``[HIDDEN]`` when it comes from a file)."""
    name = engine.name
    if name in _S3_LIKE:
        return _s3_arguments(engine, "s3_path" if name == "S3Queue" else "path")
    if name == "Kafka":
        return [_string(engine.field(f)) for f in ("broker_list", "topic_list", "group_name", "format")]
    if name == "Buffer":
        args = [_string(engine.field("target_database")), _string(engine.field("target_table"))]
        args += [str(engine.field(f)) for f in _BUFFER_NUMBERS]
        flush = [engine.field(f) for f in _BUFFER_FLUSH]
        while flush and flush[-1] is None:
            flush.pop()
        return args + [str(0 if value is None else value) for value in flush]
    if name == "Distributed":
        args = [_string(engine.field(f)) for f in ("cluster", "target_database", "target_table")]
        sharding_key, policy = engine.field("sharding_key"), engine.field("policy_name")
        if sharding_key is not None or policy is not None:
            args.append(str(sharding_key if sharding_key is not None else "rand()"))
        if policy is not None:
            args.append(_string(policy))
        return args
    if name == "Merge":
        source = str(engine.field("source_database"))
        return [source if "(" in source else _string(source), _string(engine.field("tables_regexp"))]
    raise ValueError(f"no SQL for the integration engine {name!r}")


# -- reading what the server reports --------------------------------------------------------------------


def _literal(item: list[Token]) -> str | int | None:
    """A string or integer argument, else None."""
    if len(item) == 1 and item[0].kind == "string":
        return item[0].value
    if len(item) == 1 and item[0].kind == "number" and item[0].text.isdigit():
        return int(item[0].text)
    return None


def _text(item: list[Token]) -> str:
    return " ".join(t.text for t in item)


def _strings(items: Sequence[list[Token]]) -> list[str] | None:
    values = [_literal(item) for item in items]
    return [v for v in values if isinstance(v, str)] if all(isinstance(v, str) for v in values) else None


def _parse_s3(name: str, items: list[list[Token]]) -> list[tuple[str, object]] | None:
    if items and items[-1] and items[-1][0].is_word("HEADERS"):
        return None  # compared as written
    values = _strings(items)
    if values is None or not 2 <= len(values) <= 5:
        return None
    path, rest = values[0], values[1:]
    key = secret = compression = None
    if len(rest) >= 3:
        key, secret, fmt, *more = rest
    else:
        fmt, *more = rest
    compression = more[0] if more else None
    path_field = "s3_path" if name == "S3Queue" else "path"
    fields: list[tuple[str, object]] = [(path_field, path), ("format", fmt), ("aws_access_key_id", key),
                                        ("aws_secret_access_key", secret), ("compression", compression)]
    return fields


def _parse(name: str, items: list[list[Token]]) -> list[tuple[str, object]] | None:
    if name in _S3_LIKE:
        return _parse_s3(name, items)
    if name == "Kafka":
        values = _strings(items)
        return None if values is None or len(values) != 4 else list(
            zip(("broker_list", "topic_list", "group_name", "format"), values, strict=True))
    if name == "Buffer":
        literals = [_literal(item) for item in items]
        if len(literals) not in (9, 10, 11, 12) or not all(isinstance(v, str) for v in literals[:2]) or \
                not all(isinstance(v, int) for v in literals[2:]):
            return None
        flush = [*literals[9:], None, None, None][:3]
        return [("target_database", literals[0]), ("target_table", literals[1]),
                *zip(_BUFFER_NUMBERS, literals[2:9], strict=True), *zip(_BUFFER_FLUSH, flush, strict=True)]
    if name == "Distributed":
        values = _strings(items[:3])
        if values is None or len(values) != 3 or len(items) > 5:
            return None
        policy = _literal(items[4]) if len(items) == 5 else None
        return [("cluster", values[0]), ("target_database", values[1]), ("target_table", values[2]),
                ("sharding_key", _text(items[3]) if len(items) >= 4 else None),
                ("policy_name", policy if isinstance(policy, str) else None)]
    if name == "Merge":
        if len(items) != 2 or not isinstance(regexp := _literal(items[1]), str):
            return None
        source = _literal(items[0])
        return [("source_database", source if isinstance(source, str) else _text(items[0])),
                ("tables_regexp", regexp)]
    return None


def parse_integration_engine(name: str, arguments: str | None) -> IntegrationEngine | None:
    """The engine ``name(arguments)`` as the server reports it, in Moose's fields (None: not a shape muskox
    reads, e.g. a Kafka table configured only through SETTINGS; it is then compared as written)."""
    items = split_top_level(tokenize(arguments)) if arguments else []
    fields = _parse(name, [item for item in items if item])
    return None if fields is None else IntegrationEngine(name=name, fields=tuple(fields))


# -- the compared form ------------------------------------------------------------------------------------


def normalize_integration_engine(engine: IntegrationEngine, *, default_database: str | None,
                                 canonical: Callable[[str], str]) -> IntegrationEngine:
    """Fields in a fixed order without unset ones, credentials :data:`HIDDEN`, ``currentDatabase()`` resolved
    to ``default_database`` (the connection's database, which the server writes in its place), the sharding key
    canonical."""
    fields: dict[str, object] = {}
    for key, value in engine.masked().fields:
        if value is None:
            continue
        if engine.name == "Merge" and key == "source_database" and isinstance(value, str) \
                and value.replace(" ", "") == _CURRENT_DATABASE and default_database is not None:
            value = default_database
        if engine.name == "Distributed" and key == "sharding_key" and isinstance(value, str):
            value = canonical(value)
        fields[key] = value
    return attrs.evolve(engine, fields=tuple(sorted(fields.items())))

