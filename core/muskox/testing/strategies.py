"""Hypothesis strategies for the schema model: data types, columns and tables that ClickHouse accepts.

Import from tests only (needs ``hypothesis``). Everything generated is valid for a real ClickHouse 26.9
``CREATE TABLE`` with muskox's session settings, so the same strategies drive pure round trips (text, JSON)
and server round trips (create → introspect).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from muskox.model.types import (
    AggregateFunction,
    Array,
    DataType,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    EnumMember,
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

NUMBERS = ("Int8", "Int16", "Int32", "Int64", "Int128", "Int256", "UInt8", "UInt16", "UInt32", "UInt64",
           "UInt128", "UInt256", "Float32", "Float64")
SCALARS = ("String", "Bool", *NUMBERS, "UUID", "Date", "Date32", "IPv4", "IPv6")
GEO = ("Point", "Ring", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")

#: Identifiers that stress quoting: digits, reserved words, unicode, spaces, quotes and backticks.
AWKWARD_NAMES = ("events_2024", "tbl_0", "order", "select", "from", "名前", "naïve", "with space", "quo'te",
                 "back`tick", 'dou"ble', "back\\slash", "émoji_🦬", "0starts_with_digit")

identifiers = st.one_of(
    st.sampled_from(AWKWARD_NAMES),
    st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="."), min_size=1, max_size=12)
    .filter(lambda s: s.strip() == s and s != ""),
)
"""Column and element names: plain, reserved, unicode, quoted (never containing dots)."""


def _unique_names(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(identifiers, min_size=min_size, max_size=max_size, unique_by=str.lower)


#: Tuple element names ClickHouse rejects (``null`` would clash with the null-map subcolumn of a Nullable tuple).
RESERVED_ELEMENT_NAMES = frozenset({"null"})


def _element_names(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    return _unique_names(min_size, max_size).filter(
        lambda names: not any(n.lower() in RESERVED_ELEMENT_NAMES for n in names))


#: Enum member names (any UTF-8 text: ClickHouse prints control characters escaped in type text).
_enum_names = st.text(st.characters(codec="utf-8"),
                      min_size=1, max_size=8)

scalar_types: st.SearchStrategy[DataType] = st.one_of(
    st.sampled_from(SCALARS).map(Simple),
    st.integers(1, 64).map(FixedString),
    st.integers(1, 76).flatmap(lambda p: st.integers(0, p).map(lambda s: Decimal(p, s))),
    st.sampled_from((None, *TIMEZONES)).map(DateTime),
    st.tuples(st.integers(0, 9), st.sampled_from((None, *TIMEZONES))).map(lambda a: DateTime64(*a)),
    st.lists(st.tuples(_enum_names, st.integers(-128, 127)), min_size=1, max_size=5,
             unique_by=(lambda m: m[0], lambda m: m[1]))
    .map(lambda ms: Enum(8, tuple(EnumMember(n, v) for n, v in ms))),
    st.lists(st.tuples(_enum_names, st.integers(-32768, 32767)), min_size=1, max_size=5,
             unique_by=(lambda m: m[0], lambda m: m[1]))
    .map(lambda ms: Enum(16, tuple(EnumMember(n, v) for n, v in ms))),
)
"""Types that may be wrapped in Nullable."""

low_cardinality_types: st.SearchStrategy[DataType] = st.one_of(
    st.just(Simple("String")), st.integers(1, 16).map(FixedString),
).flatmap(lambda t: st.sampled_from((LowCardinality(t), LowCardinality(Nullable(t)))))

map_keys: st.SearchStrategy[DataType] = st.one_of(
    st.sampled_from(("String", "Int32", "UInt64", "UUID", "Date")).map(Simple),
    st.just(LowCardinality(Simple("String"))),
)


def _composite(children: st.SearchStrategy[DataType]) -> st.SearchStrategy[DataType]:
    return st.one_of(
        children.map(Array),
        st.tuples(map_keys, children).map(lambda kv: Map(*kv)),
        st.lists(children, min_size=1, max_size=3).map(lambda ts: Tuple(tuple(TupleElement(None, t) for t in ts))),
        _element_names(1, 3).flatmap(lambda names: st.lists(children, min_size=len(names), max_size=len(names))
                                    .map(lambda ts: Tuple(tuple(TupleElement(n, t) for n, t in zip(names, ts,
                                                                                                   strict=True))))),
    )


value_types: st.SearchStrategy[DataType] = st.recursive(
    st.one_of(scalar_types, scalar_types.map(Nullable), low_cardinality_types, st.sampled_from(GEO).map(Simple)),
    _composite, max_leaves=4,
)
"""Any type a value can have inside a column (nested Nullable and LowCardinality included)."""

json_types: st.SearchStrategy[DataType] = st.builds(
    Json,
    max_dynamic_paths=st.one_of(st.none(), st.integers(0, 1024)),
    max_dynamic_types=st.one_of(st.none(), st.integers(0, 254)),
    typed_paths=st.lists(st.tuples(st.from_regex(r"[a-z]{1,5}(\.[a-z]{1,5}){0,2}", fullmatch=True),
                                   st.sampled_from(("String", "UInt32", "Float64", "Bool")).map(Simple)),
                         max_size=3, unique_by=lambda p: p[0])
    .map(lambda ps: tuple(JsonTypedPath(p, t) for p, t in ps)),
    skip_paths=st.lists(st.from_regex(r"skip_[a-z]{1,5}", fullmatch=True), max_size=2, unique=True).map(tuple),
    skip_regexps=st.lists(st.sampled_from(("tmp.*", "^x\\.y$", "a'b")), max_size=2, unique=True).map(tuple),
)

aggregate_types: st.SearchStrategy[DataType] = st.sampled_from((
    AggregateFunction("sum", (Simple("UInt64"),)),
    AggregateFunction("uniq", (Simple("String"),)),
    AggregateFunction("quantiles(0.5, 0.9)", (Simple("Float64"),)),
    AggregateFunction("argMax", (Simple("String"), DateTime())),
    SimpleAggregateFunction("sum", (Simple("UInt64"),)),
    SimpleAggregateFunction("max", (DateTime(),)),
    SimpleAggregateFunction("anyLast", (Simple("String"),)),
))

nested_types: st.SearchStrategy[DataType] = _element_names(1, 3).flatmap(
    lambda names: st.lists(st.one_of(scalar_types, scalar_types.map(Nullable)), min_size=len(names),
                           max_size=len(names))
    .map(lambda ts: Nested(tuple(TupleElement(n, t) for n, t in zip(names, ts, strict=True)))))

column_types: st.SearchStrategy[DataType] = st.one_of(value_types, json_types, aggregate_types, nested_types)
"""Every type a column can have (its top-level nullability aside)."""


# -- columns and tables ---------------------------------------------------------------------------------

from muskox.model.engines import (  # noqa: E402 - grouped with the table strategies they serve
    AggregatingMergeTree,
    CollapsingMergeTree,
    Engine,
    MergeTree,
    ReplacingMergeTree,
    SummingMergeTree,
    VersionedCollapsingMergeTree,
)
from muskox.model.table import Column, LifeCycle, Table, TableIndex, TableProjection  # noqa: E402

#: The fixed columns every generated table starts with, so keys, TTLs and engine parameters have targets.
BASE_COLUMNS = (
    Column(name="id", data_type=Simple("UInt64")),
    Column(name="ts", data_type=DateTime()),
    Column(name="sign", data_type=Simple("Int8")),
    Column(name="deleted", data_type=Simple("UInt8")),
    Column(name="amount", data_type=Simple("Float64")),
)
_NULLABLE_OK = (Simple, FixedString, Decimal, DateTime, DateTime64, Enum)
_DEFAULTS = {"String": ("'x'", "'it''s'", "concat('a', 'b')"), "UInt64": ("0", "42", "1 + 1"),
             "Float64": ("0.5", "pi()"), "DateTime": ("now()", "toDateTime('2024-01-01 00:00:00')")}
_CODECS = ("ZSTD(3)", "LZ4", "ZSTD(1)", "LZ4HC(9)")


@st.composite
def extra_columns(draw: st.DrawFn, name: str) -> Column:
    """One generated column with options that fit its type."""
    data_type = draw(column_types)
    if isinstance(data_type, Nullable):  # a whole column's nullability lives on the column
        data_type = data_type.inner
    nullable = isinstance(data_type, _NULLABLE_OK) and not (
        isinstance(data_type, Simple) and data_type.name in GEO) and draw(st.booleans())
    options: dict[str, Any] = {}
    type_name = data_type.name if isinstance(data_type, Simple) else ""
    if type_name in _DEFAULTS and not nullable:
        kind = draw(st.sampled_from(("default", "materialized", "alias", None)))
        if kind is not None:
            options[kind] = draw(st.sampled_from(_DEFAULTS[type_name]))
    plain = not isinstance(data_type, Json | AggregateFunction | SimpleAggregateFunction | Nested)
    if plain and "alias" not in options:
        options["codec"] = draw(st.one_of(st.none(), st.sampled_from(_CODECS)))
        if "materialized" not in options:
            options["ttl"] = draw(st.one_of(st.none(), st.sampled_from(("ts + INTERVAL 1 DAY",
                                                                        "ts + toIntervalMonth(3)"))))
    comment = draw(st.one_of(st.none(), st.text(max_size=20)))
    return Column(name=name, data_type=data_type, nullable=nullable, comment=comment, **options)


_ENGINES: tuple[Engine, ...] = (
    MergeTree(), ReplacingMergeTree(), ReplacingMergeTree(ver="ts"), ReplacingMergeTree(ver="id", is_deleted="deleted"),
    SummingMergeTree(), SummingMergeTree(columns=("amount",)), AggregatingMergeTree(),
    CollapsingMergeTree(sign="sign"), VersionedCollapsingMergeTree(sign="sign", ver="id"),
)
_KEYS = (
    {"order_by": ("id",)},
    {"order_by": ("id", "ts")},
    {"order_by": "tuple()"},
    {"order_by": ("id", "ts"), "primary_key_expression": "id"},
    {"order_by": "(id, intHash32(id))", "sample_by": "intHash32(id)"},
)


@st.composite
def tables(draw: st.DrawFn, database: str | None = None) -> Table:
    """A table ClickHouse accepts: base columns, up to four generated ones, and table options."""
    base_names = {c.name for c in BASE_COLUMNS}
    names = draw(_unique_names(0, 4).map(lambda ns: [n for n in ns if n.lower() not in base_names]))
    columns = BASE_COLUMNS + tuple(draw(extra_columns(n)) for n in names)
    engine = draw(st.sampled_from(_ENGINES))
    keys = draw(st.sampled_from(_KEYS))
    if isinstance(engine, VersionedCollapsingMergeTree | CollapsingMergeTree | ReplacingMergeTree | SummingMergeTree):
        keys = {"order_by": ("id", "ts")}  # these engines need a real sorting key
    settings = draw(st.sampled_from(({}, {"index_granularity": "4096"}, {"merge_with_ttl_timeout": "3600"},
                                     {"min_bytes_for_wide_part": "0", "ttl_only_drop_parts": "1"})))
    indexes = draw(st.lists(st.sampled_from((
        TableIndex(name="idx_ts", expression="ts", type="minmax", granularity=1),
        TableIndex(name="idx id", expression="id", type="bloom_filter", arguments=("0.01",), granularity=4),
        TableIndex(name="idx_amount", expression="amount * 2", type="set", arguments=("100",), granularity=2),
    )), unique=True, max_size=2))
    projections = draw(st.lists(st.sampled_from((
        TableProjection(name="by_ts", body="SELECT id, ts ORDER BY ts"),
        TableProjection(name="totals", body="SELECT id, sum(amount) GROUP BY id"),
    )), unique=True, max_size=1)) if isinstance(engine, MergeTree) else []
    settings = _engine_settings(engine, columns, settings)
    return Table(
        name=draw(identifiers), columns=columns, engine=engine, database=database,
        partition_by=draw(st.sampled_from((None, "toYYYYMM(ts)", "id % 4"))),
        ttl=draw(st.sampled_from((None, "ts + INTERVAL 30 DAY", "ts + toIntervalMonth(1)"))),
        settings=settings, indexes=tuple(indexes), projections=tuple(projections),
        life_cycle=draw(st.sampled_from(LifeCycle)), **keys,  # type: ignore[arg-type]
    )


def _engine_settings(engine: Engine, columns: Sequence[Column], settings: dict[str, str]) -> dict[str, str]:
    """``settings`` plus what the engine needs for ``columns``: ClickHouse 26.x refuses an AggregatingMergeTree
    with aggregate-state columns and other columns outside the sorting key unless told it is intentional."""
    if isinstance(engine, AggregatingMergeTree) and any(
            isinstance(c.data_type, AggregateFunction | SimpleAggregateFunction) for c in columns):
        return {**settings, "allow_dimensions_outside_sorting_key": "1"}
    return settings


# -- schema evolutions ----------------------------------------------------------------------------------

from muskox.model.infra_map import InfraMap  # noqa: E402


@st.composite
def evolved(draw: st.DrawFn, table: Table) -> Table:
    """``table`` after a random evolution ALTER TABLE can apply: columns added, dropped or changed, and new
    TTL, settings, indexes or projections (keys and engine unchanged)."""
    base_names = {c.name for c in BASE_COLUMNS}
    extra = [c for c in table.columns if c.name not in base_names]
    kept = [c for c in extra if draw(st.booleans())]
    changed = [draw(extra_columns(c.name)) if draw(st.booleans()) else c for c in kept]
    used = {c.name.lower() for c in table.columns}
    new_names = draw(_unique_names(0, 2).map(lambda ns: [n for n in ns if n.lower() not in used]))
    added = [draw(extra_columns(n)) for n in new_names]
    columns = [*BASE_COLUMNS, *changed]
    for column in added:
        columns.insert(draw(st.integers(len(BASE_COLUMNS), len(columns))), column)
    fresh = draw(tables())
    settings = draw(st.sampled_from((table.settings, {k: v for k, v in fresh.settings.items()
                                                      if k not in ("index_granularity",
                                                                   "allow_dimensions_outside_sorting_key")})))
    return attrs.evolve(
        table, columns=tuple(columns),
        ttl=draw(st.sampled_from((table.ttl, fresh.ttl))),
        settings=_engine_settings(table.engine, columns, settings),
        indexes=draw(st.sampled_from((table.indexes, fresh.indexes))),
        projections=draw(st.sampled_from((table.projections, fresh.projections))) if isinstance(
            table.engine, MergeTree) else table.projections,
    )


@st.composite
def schema_pairs(draw: st.DrawFn, default_database: str = "db") -> tuple[InfraMap, InfraMap]:
    """Two states of one schema: tables only before, only after, evolved, or replaced by a different table."""
    names = draw(st.lists(st.from_regex(r"t[a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=4, unique=True))
    before: list[Table] = []
    after: list[Table] = []
    for name in names:
        old = attrs.evolve(draw(tables()), name=name, life_cycle=LifeCycle.FULLY_MANAGED)
        fate = draw(st.sampled_from(("keep", "evolve", "replace", "drop", "create")))
        if fate != "create":
            before.append(old)
        if fate == "keep":
            after.append(old)
        elif fate == "evolve":
            after.append(draw(evolved(old)))
        elif fate in ("replace", "create"):
            after.append(attrs.evolve(draw(tables()), name=name, life_cycle=LifeCycle.FULLY_MANAGED))
    return InfraMap.of(default_database, before), InfraMap.of(default_database, after)
