"""ClickHouse's normalization: a declared resource and the introspected one of the same schema become equal values.

The core's differ and drift checks compare only normalized values, and for ClickHouse tables and views they
normalize only through this module (called as :class:`muskox_clickhouse.dialect.ClickHouseDialect` methods).
Every function here is pure and offline: model values in, model values out. The normalized values are
comparison keys; muskox executes the original declarations, never these.

What the server reformats, and how both sides are brought to one form (ClickHouse 26.9, observed):

==========================================  =====================================================================
server behaviour                            rule
==========================================  =====================================================================
expressions come back re-formatted from     every expression (keys, TTLs, defaults, index expressions,
their syntax tree (``INTERVAL 30 DAY`` →    projection bodies, view queries) goes through
``toIntervalDay(30)``, ``a = 1 and b`` →    the canonical SQL module, which parses it as ClickHouse does and
``(a = 1) AND b``, `` `order` `` →          prints it one fixed way (module ``sql_canonical``)
``order``, ``'it''s'`` → ``'it\\'s'``)
``ORDER BY (a, b)`` reads back as           ``order_by``: a tuple of column names when every item is a plain
``sorting_key`` ``a, b``; ``tuple()`` as    column, else one canonical expression; ``tuple()`` ≡ ``()``
empty
``PRIMARY KEY`` defaults to the sorting     the primary key (``primary_key_expression``, else the columns flagged
key                                         ``primary_key``) becomes ``None`` when it equals ``ORDER BY``; an
                                            empty MergeTree ``ORDER BY`` takes the primary key; column flags are
                                            cleared
``ZSTD`` → ``ZSTD(1)``, ``LZ4HC`` →         codecs lose a ``CODEC(…)`` wrapper and get the server's default
``LZ4HC(0)``, ``Delta`` → ``Delta(4)``,     parameters (``Delta``/``Gorilla`` take the byte size of the column's
``Gorilla`` → ``Gorilla(8)``, ``FPC`` →     value type)
``FPC(12)``
``SETTINGS index_granularity = 8192`` is    settings equal to the MergeTree read-only defaults (spec 6.2) are
added; values keep their quotes             dropped; quoted values are unquoted, ``true``/``false`` become 1/0
enum members sorted by value; JSON typed    enum members sorted by value; JSON typed paths, skip paths and skip
paths sorted, ``max_dynamic_paths=1024``    regexps sorted; JSON options at their default dropped
and ``max_dynamic_types=32`` dropped
``LowCardinality(Nullable(T))`` reads        a column typed ``LowCardinality(Nullable(T))`` becomes a nullable
back as one column type                     ``LowCardinality(T)`` column (the introspected form)
``{database}``/``{table}`` macros of a      expanded; the server default path/name pair
replicated table's path are expanded        (``/clickhouse/tables/{uuid}/{shard}``, ``{replica}``) ≡ no arguments
a view's query gets its tables qualified    the view's own database is stripped from names in its query
empty comments read back as ``''``          ``''`` ≡ ``None``
==========================================  =====================================================================

And without the server: ``database`` None ≡ the default database, ``metadata`` dropped (never compared),
``life_cycle`` kept, indexes and projections sorted by name, ``Array``/``Nested``/``Map``/``JSON`` columns never
nullable (ClickHouse cannot wrap them), a view's ``source_tables`` dropped (compared through its query).

``ignore_operations`` (spec 8.2): ``ModifyTableTtl`` strips the table TTL, ``ModifyColumnTtl`` the column TTLs,
``ModifyPartitionBy`` the partition key, ``IgnoreStringLowCardinalityDifferences`` every ``LowCardinality``
around ``String`` (also inside arrays, maps, tuples, JSON and Nested).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping

import attrs

from muskox.model.engines import Engine, IntegrationEngine, OtherEngine, Replication, is_merge_tree, mask_settings
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column, Table, TableIndex, TableProjection
from muskox.model.types import (
    AggregateFunction,
    Array,
    DataType,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    FixedString,
    Json,
    JsonTypedPath,
    LowCardinality,
    Map,
    Nested,
    Nullable,
    Simple,
    SimpleAggregateFunction,
    Tuple,
    TupleElement,
)
from muskox_clickhouse.dialect.sql_canonical import (
    canonical_expression,
    canonical_expression_list,
    canonical_identifier,
    canonical_query,
    canonical_ttl,
)
from muskox_clickhouse.dialect.sql_lexer import matching_close, split_top_level, tokenize

__all__ = [
    "IGNORABLE_OPERATIONS",
    "READONLY_SETTING_DEFAULTS",
    "normalize_codec",
    "normalize_column",
    "normalize_engine",
    "normalize_materialized_view",
    "normalize_settings",
    "normalize_table",
    "normalize_type",
    "normalize_view",
    "nullable_allowed",
]

#: The values ``migration_config.ignore_operations`` accepts (spec 8.2).
IGNORABLE_OPERATIONS = frozenset({
    "ModifyTableTtl", "ModifyColumnTtl", "ModifyPartitionBy", "IgnoreStringLowCardinalityDifferences",
})

#: MergeTree's read-only settings and their defaults (spec 6.2): a setting with this value is the same as none.
READONLY_SETTING_DEFAULTS: Mapping[str, str] = {
    "index_granularity": "8192",
    "index_granularity_bytes": "10485760",
    "enable_mixed_granularity_parts": "1",
    "add_minmax_index_for_numeric_columns": "0",
    "add_minmax_index_for_string_columns": "0",
    "table_disk": "0",
}

#: The server's ``default_replica_path`` / ``default_replica_name``: a replicated engine without arguments.
DEFAULT_REPLICA_PATH = "/clickhouse/tables/{uuid}/{shard}"
DEFAULT_REPLICA_NAME = "{replica}"

#: ``JSON``'s defaults: the server drops ``max_dynamic_paths=1024`` and ``max_dynamic_types=32`` from the type.
JSON_MAX_DYNAMIC_PATHS = 1024
JSON_MAX_DYNAMIC_TYPES = 32

# -- types ----------------------------------------------------------------------------------------------

_NEVER_NULLABLE = (Array, Map, Nested, Json, AggregateFunction, SimpleAggregateFunction)


def nullable_allowed(data_type: DataType) -> bool:
    """Whether ClickHouse can wrap a column of this type in ``Nullable`` (``LowCardinality(T)`` as
    ``LowCardinality(Nullable(T))``); arrays, maps, Nested, JSON and aggregate states cannot be."""
    if isinstance(data_type, LowCardinality):
        return nullable_allowed(data_type.inner)
    return not isinstance(data_type, _NEVER_NULLABLE)


def normalize_type(data_type: DataType, *, ignore_low_cardinality: bool = False) -> DataType:
    """Enum members sorted by value, JSON paths sorted, and (on request) ``LowCardinality`` around ``String``
    removed, recursively."""

    def walk(node: DataType) -> DataType:
        match node:
            case Enum(bits, members, name):
                return Enum(bits, tuple(sorted(members, key=lambda m: (m.value, m.name))), name)
            case Array(element):
                return Array(walk(element))
            case Nullable(inner):
                return Nullable(walk(inner))
            case LowCardinality(inner):
                inner = walk(inner)
                plain = inner.inner if isinstance(inner, Nullable) else inner
                if ignore_low_cardinality and plain == Simple("String"):
                    return inner
                return LowCardinality(inner)
            case Map(key, value):
                return Map(walk(key), walk(value))
            case Tuple(elements):
                return Tuple(tuple(TupleElement(e.name, walk(e.type)) for e in elements))
            case Nested(fields):
                return Nested(tuple(TupleElement(f.name, walk(f.type)) for f in fields))
            case Json():
                return attrs.evolve(
                    node,
                    max_dynamic_paths=None if node.max_dynamic_paths == JSON_MAX_DYNAMIC_PATHS
                    else node.max_dynamic_paths,
                    max_dynamic_types=None if node.max_dynamic_types == JSON_MAX_DYNAMIC_TYPES
                    else node.max_dynamic_types,
                    typed_paths=tuple(sorted((JsonTypedPath(p.path, walk(p.type)) for p in node.typed_paths),
                                             key=lambda p: p.path)),
                    skip_paths=tuple(sorted(node.skip_paths)), skip_regexps=tuple(sorted(node.skip_regexps)))
            case AggregateFunction(function, arguments):
                return AggregateFunction(canonical_expression(function), tuple(map(walk, arguments)))
            case SimpleAggregateFunction(function, arguments):
                return SimpleAggregateFunction(canonical_expression(function), tuple(map(walk, arguments)))
        return node

    return walk(data_type)


# -- codecs ---------------------------------------------------------------------------------------------

_CODEC_NAMES = {name.lower(): name for name in (
    "NONE", "LZ4", "LZ4HC", "ZSTD", "ZSTD_QAT", "DEFLATE_QPL", "Delta", "DoubleDelta", "Gorilla", "FPC", "T64",
    "GCD", "AES_128_GCM_SIV", "AES_256_GCM_SIV", "Multiple")}
_CODEC_DEFAULT_ARGUMENTS = {"ZSTD": "1", "LZ4HC": "0", "FPC": "12", "ZSTD_QAT": "1"}
_SIZED_CODECS = ("Delta", "Gorilla")
_SIMPLE_SIZES = {
    "Bool": 1, "Int8": 1, "UInt8": 1, "Int16": 2, "UInt16": 2, "Date": 2, "Int32": 4, "UInt32": 4, "Float32": 4,
    "Date32": 4, "IPv4": 4, "BFloat16": 2, "Int64": 8, "UInt64": 8, "Float64": 8,
}


def _value_size(data_type: DataType) -> int:
    """The byte size ``Delta``/``Gorilla`` default to: the fixed size of the column's values (else 1)."""
    match data_type:
        case Nullable(inner) | Array(inner) | LowCardinality(inner):
            return _value_size(inner)
        case Simple(name):
            return _SIMPLE_SIZES.get(name, 1)
        case Enum(bits):
            return bits // 8
        case DateTime():
            return 4
        case DateTime64():
            return 8
        case Decimal(precision):
            return 4 if precision <= 9 else 8 if precision <= 18 else 16
        case FixedString(length) if length in (1, 2, 4, 8):
            return length
    return 1


def normalize_codec(codec: str | None, data_type: DataType) -> str | None:
    """``CODEC(Delta, ZSTD)`` on a ``UInt32`` → ``Delta(4), ZSTD(1)``; empty → None."""
    if codec is None or not codec.strip():
        return None
    return _codec(codec, _value_size(data_type))


@functools.lru_cache(maxsize=1 << 14)
def _codec(codec: str, value_size: int) -> str | None:
    tokens = tokenize(codec)
    if len(tokens) >= 3 and tokens[0].is_word("CODEC") and tokens[1].is_punct("(") \
            and matching_close(tokens, 1) == len(tokens) - 1:
        tokens = tokens[2:-1]
    parts: list[str] = []
    for item in split_top_level(tokens):
        if not item:
            continue
        name = _CODEC_NAMES.get(item[0].value.lower(), item[0].value)
        arguments = [canonical_expression(" ".join(t.text for t in argument))
                     for argument in split_top_level(item[2:-1])] if len(item) > 2 else []
        if not arguments and name in _CODEC_DEFAULT_ARGUMENTS:
            arguments = [_CODEC_DEFAULT_ARGUMENTS[name]]
        if not arguments and name in _SIZED_CODECS:
            arguments = [str(value_size)]
        parts.append(name + (f"({', '.join(arguments)})" if arguments else ""))
    return ", ".join(parts) or None


# -- columns, settings, engines -------------------------------------------------------------------------


def _expression(text: str | None) -> str | None:
    return canonical_expression(text) if text is not None and text.strip() else None


def normalize_column(column: Column, *, ignore_operations: Collection[str] = frozenset()) -> Column:
    """One column in its comparable form (its ``primary_key`` flag is cleared: keys are table-level)."""
    return _normalized_column(column, _check_ignored(ignore_operations))


@functools.lru_cache(maxsize=1 << 14)
def _normalized_column(column: Column, ignored: frozenset[str]) -> Column:
    # cached by value: the tables of a schema repeat a few columns many times, and columns are immutable
    data_type, nullable = column.data_type, column.nullable
    if isinstance(data_type, LowCardinality) and isinstance(data_type.inner, Nullable):
        data_type, nullable = LowCardinality(data_type.inner.inner), True
    data_type = normalize_type(data_type, ignore_low_cardinality="IgnoreStringLowCardinalityDifferences" in ignored)
    ttl = None if "ModifyColumnTtl" in ignored or not column.ttl else canonical_ttl(column.ttl)
    normalized = attrs.evolve(
        column, data_type=data_type, nullable=nullable and nullable_allowed(data_type), primary_key=False,
        default=_expression(column.default), materialized=_expression(column.materialized),
        alias=_expression(column.alias), comment=column.comment or None,
        codec=normalize_codec(column.codec, data_type), ttl=ttl,
    )
    if len(_NORMALIZED_COLUMNS) >= 1 << 14:
        _NORMALIZED_COLUMNS.clear()
    return _NORMALIZED_COLUMNS.setdefault(normalized, normalized)


_NORMALIZED_COLUMNS: dict[Column, Column] = {}
"""One instance per normalized column value: a declared and an introspected column that normalize equal become
the same object, so comparing two tables' columns is mostly identity checks."""


def _normalized_columns(columns: tuple[Column, ...], ignored: frozenset[str]) -> tuple[Column, ...]:
    if type(columns) is tuple:
        return _normalized_column_tuple(columns, ignored)
    return tuple(_normalized_column(c, ignored) for c in columns)


@functools.lru_cache(maxsize=1 << 12)
def _normalized_column_tuple(columns: tuple[Column, ...], ignored: frozenset[str]) -> tuple[Column, ...]:
    # cached by value: the tables of one schema share their columns (one look-up instead of one per column)
    return tuple(_normalized_column(c, ignored) for c in columns)


@functools.lru_cache(maxsize=1 << 14)
def _setting_value(value: str) -> str:
    if value.isascii() and value.isdigit() and len(value) <= 19 and (len(value) == 1 or value[0] != "0"):
        return value  # a plain integer is already canonical (and settings of many tables differ in numbers)
    tokens = tokenize(value)
    if len(tokens) == 1 and tokens[0].kind == "string":
        value = tokens[0].value
    elif len(tokens) == 1 and tokens[0].kind == "number":
        value = canonical_expression(value)
    else:
        value = value.strip()
    return {"true": "1", "false": "0"}.get(value.lower(), value)


def normalize_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """Values unquoted (``'3600'`` ≡ ``3600``, ``true`` ≡ ``1``); read-only settings at their default dropped."""
    result: dict[str, str] = {}
    for key, value in settings.items():
        normalized = _setting_value(str(value))
        if READONLY_SETTING_DEFAULTS.get(key) != normalized:
            result[key] = normalized
    return dict(sorted(result.items()))


def _replication(replication: Replication | None, database: str | None, table: str) -> Replication | None:
    if replication is None:
        return None

    def expand(text: str | None) -> str | None:
        if text is None:
            return None
        if database is not None:
            text = text.replace("{database}", database)
        return text.replace("{table}", table)

    path, name = expand(replication.keeper_path), expand(replication.replica_name)
    if (path, name) == (DEFAULT_REPLICA_PATH, DEFAULT_REPLICA_NAME):
        return Replication()
    return Replication(keeper_path=path, replica_name=name)


def normalize_engine(engine: Engine, *, database: str | None = None, table: str = "") -> Engine:
    """Engine arguments in canonical form; replicated paths with ``{database}``/``{table}`` expanded.

    :param database: the table's database (for the ``{database}`` macro).
    :param table: the table's name (for the ``{table}`` macro).
    """
    if isinstance(engine, IntegrationEngine):
        from muskox_clickhouse.dialect.integration_engines import normalize_integration_engine

        return normalize_integration_engine(engine, default_database=database, canonical=canonical_expression)
    if isinstance(engine, OtherEngine):
        arguments = engine.arguments
        if arguments is not None:
            items = [canonical_expression(" ".join(t.text for t in part))
                     for part in split_top_level(tokenize(arguments))]
            arguments = ", ".join(items) or None
        return OtherEngine(name=engine.name, arguments=arguments)
    if engine.replication is None:
        return engine
    return attrs.evolve(engine, replication=_replication(engine.replication, database, table))


# -- tables ---------------------------------------------------------------------------------------------


def _check_ignored(ignore_operations: Collection[str]) -> frozenset[str]:
    if isinstance(ignore_operations, frozenset) and ignore_operations <= IGNORABLE_OPERATIONS:
        return ignore_operations
    unknown = set(ignore_operations) - IGNORABLE_OPERATIONS
    if unknown:
        raise ValueError(f"unknown ignore_operations value(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(IGNORABLE_OPERATIONS))}")
    return frozenset(ignore_operations)


def _key_items(table: Table) -> tuple[list[str], list[str] | None]:
    """The canonical items of ORDER BY and of the primary key (None: the primary key is the sorting key)."""
    if isinstance(table.order_by, str):
        order = canonical_expression_list(table.order_by)
    else:
        order = [canonical_identifier(name) for name in table.order_by]
    primary: list[str] | None = None
    if table.primary_key_expression is not None and table.primary_key_expression.strip():
        primary = canonical_expression_list(table.primary_key_expression)
    flagged = [canonical_identifier(c.name) for c in table.columns if c.primary_key]
    if table.order_by == () and is_merge_tree(table.engine):
        # no ORDER BY given: a MergeTree sorts by its PRIMARY KEY, else by its Key[...] columns (Moose's rule);
        # an explicit "tuple()" is an ORDER BY and never falls back
        order = list(primary or flagged)
    if primary == order:
        primary = None
    return order, primary


@functools.lru_cache(maxsize=1 << 14)
def _as_name(item: str) -> str | None:
    tokens = tokenize(item)
    if len(tokens) == 1 and tokens[0].is_name and canonical_identifier(tokens[0].value) == item:
        return tokens[0].value
    return None


def _order_by(items: list[str]) -> tuple[str, ...] | str:
    names = [_as_name(item) for item in items]
    if all(name is not None for name in names):
        return tuple(name for name in names if name is not None)
    return ", ".join(items)


def _index(index: TableIndex) -> TableIndex:
    return attrs.evolve(index, expression=canonical_expression(index.expression),
                        arguments=tuple(canonical_expression(a) for a in index.arguments))


def normalize_table(table: Table, *, default_database: str | None = None,
                    ignore_operations: Collection[str] = frozenset()) -> Table:
    """The comparable form of ``table`` (rules in this module's documentation).

    :param default_database: what ``database=None`` means; with None the database is left as given.
    :param ignore_operations: values of ``migration_config.ignore_operations`` (spec 8.2).
    :raises ValueError: for an unknown ``ignore_operations`` value.
    """
    ignored = _check_ignored(ignore_operations)
    order, primary = _key_items(table)
    database = table.database if table.database is not None else default_database
    return attrs.evolve(
        table,
        database=database,
        columns=_normalized_columns(table.columns, ignored),
        engine=normalize_engine(table.engine, database=default_database if isinstance(
            table.engine, IntegrationEngine) else database, table=table.name),
        order_by=_order_by(order),
        primary_key_expression=", ".join(primary) if primary else None,
        partition_by=None if "ModifyPartitionBy" in ignored else _expression(table.partition_by),
        sample_by=_expression(table.sample_by),
        ttl=None if "ModifyTableTtl" in ignored or not table.ttl else canonical_ttl(table.ttl),
        settings=normalize_settings(mask_settings(table.settings)),
        indexes=tuple(sorted((_index(i) for i in table.indexes), key=lambda i: i.name)),
        projections=tuple(sorted((TableProjection(name=p.name, body=canonical_query(p.body))
                                  for p in table.projections), key=lambda p: p.name)),
        constraints=tuple(sorted((attrs.evolve(c, expression=canonical_expression(c.expression), type=c.type.upper())
                                  for c in table.constraints), key=lambda c: c.name)),
        metadata=None,
    )


# -- views and materialized views ----------------------------------------------------------------------


def normalize_view(view: View, *, default_database: str) -> View:
    """The view's database filled in, its query canonical (its own database stripped from names)."""
    database = view.database or default_database
    return attrs.evolve(view, database=database, select_sql=canonical_query(view.select_sql, strip_qualifier=database),
                        source_tables=(), metadata=None)


def normalize_materialized_view(view: MaterializedView, *, default_database: str) -> MaterializedView:
    """Databases filled in, the query canonical (its own database stripped from names)."""
    database = view.database or default_database
    return attrs.evolve(
        view, database=database, target_database=view.target_database or default_database,
        select_sql=canonical_query(view.select_sql, strip_qualifier=database), source_tables=(), metadata=None)
