"""ClickHouse dictionaries, as Moose declares them: ``OlapDictionary[Row]("name", OlapDictionaryConfig(...))``
with a source (a table, a query, or an external system), a layout and a lifetime.

muskox collects them faithfully as :class:`muskox.model.dictionary.Dictionary` values (Moose's encoding of
``olap_dictionaries``, source passwords hidden), which are planned (``CreateDictionary``, ``ReplaceDictionary``,
``DropDictionary``) and applied like tables and views.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from muskox.declare.config_checks import config_class
from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, placed, prefix
from muskox.declare.registry import active_registry, display_base
from muskox.declare.schema import columns_of
from muskox.declare.typed import ModelTyped
from muskox.declare.view import table_reference
from muskox.model.dictionary import Dictionary
from muskox.model.recorded import RecordedResource, RecordedStatus
from muskox.model.table import LifeCycle

T = TypeVar("T")

HIDDEN = "[HIDDEN]"


@config_class
@attrs.define(kw_only=True)
class DictionaryColumn:
    """Attributes of one dictionary column (its name and type come from the row model)."""

    default: str | None = None
    expression: str | None = None
    hierarchical: bool = False
    injective: bool = False
    is_object_id: bool = False
    comment: str | None = None
    """Refused when set: ClickHouse (26.9) has no ``COMMENT`` on a dictionary attribute and refuses the whole
    ``CREATE DICTIONARY``; kept as a field so that the refusal can say so, rather than an unknown-argument error."""

    def _normalize(self) -> None:
        if self.comment is not None:
            raise DeclarationError(
                f"DictionaryColumn(comment={self.comment!r}): ClickHouse accepts no COMMENT on a dictionary "
                "column (its CREATE DICTIONARY would be refused)",
                "remove comment=, or describe the column in the dictionary's own comment")


@config_class
@attrs.define(kw_only=True)
class DictionaryLifetime:
    """How often the dictionary reloads: between ``min`` and ``max`` seconds (both 0: never)."""

    min: int = 0
    max: int = 0

    def _normalize(self) -> None:
        if self.min < 0 or self.max < 0 or self.max < self.min:
            raise DeclarationError(f"DictionaryLifetime requires 0 <= min <= max, got min={self.min} max={self.max}",
                                   "give 0 <= min <= max")


@config_class
@attrs.define(kw_only=True)
class DictionaryInvalidation:
    """Reload only when ``fn(column)`` over the source changed (``fn`` such as ``"max"``)."""

    column: str
    fn: str


# -- layouts --------------------------------------------------------------------------------------------


@config_class
@attrs.define(kw_only=True)
class FlatLayout:
    """``LAYOUT(FLAT())``: an array indexed by small integer keys."""

    type: str = "FLAT"


@config_class
@attrs.define(kw_only=True)
class HashedLayout:
    """``LAYOUT(HASHED())``: a hash table for any integer key."""

    type: str = "HASHED"
    initial_array_size: int | None = None
    max_load_factor: float | None = None


@config_class
@attrs.define(kw_only=True)
class SparseHashedLayout:
    """``LAYOUT(SPARSE_HASHED())``: a smaller, slower hash table."""

    type: str = "SPARSE_HASHED"
    initial_array_size: int | None = None
    max_load_factor: float | None = None


@config_class
@attrs.define(kw_only=True)
class HashedArrayLayout:
    """``LAYOUT(HASHED_ARRAY())``: attributes in arrays, keys hashed."""

    type: str = "HASHED_ARRAY"
    shards: int | None = None


@config_class
@attrs.define(kw_only=True)
class RangeHashedLayout:
    """``LAYOUT(RANGE_HASHED())``: values valid for ranges (of dates, say)."""

    type: str = "RANGE_HASHED"
    range_lookup_strategy: str | None = None


@config_class
@attrs.define(kw_only=True)
class CacheLayout:
    """``LAYOUT(CACHE(SIZE_IN_CELLS n))``: a fixed-size cache filled on demand."""

    type: str = "CACHE"
    size_in_cells: int
    max_threads_for_updates: int | None = None


@config_class
@attrs.define(kw_only=True)
class SsdCacheLayout:
    """``LAYOUT(SSD_CACHE(PATH …))``: a cache on local SSD."""

    type: str = "SSD_CACHE"
    path: str
    block_size: int | None = None
    file_size: int | None = None
    read_buffer_size: int | None = None
    write_buffer_size: int | None = None
    max_stored_keys: int | None = None


@config_class
@attrs.define(kw_only=True)
class DirectLayout:
    """``LAYOUT(DIRECT())``: every lookup reads the source."""

    type: str = "DIRECT"


@config_class
@attrs.define(kw_only=True)
class IpTrieLayout:
    """``LAYOUT(IP_TRIE())``: longest-prefix matches of IP networks."""

    type: str = "IP_TRIE"
    access_to_key_from_attributes: bool | None = None


@config_class
@attrs.define(kw_only=True)
class ComplexKeyHashedLayout:
    """``LAYOUT(COMPLEX_KEY_HASHED())``: a hash table for composite or string keys."""

    type: str = "COMPLEX_KEY_HASHED"
    initial_array_size: int | None = None
    max_load_factor: float | None = None


@config_class
@attrs.define(kw_only=True)
class ComplexKeySparseHashedLayout:
    """``LAYOUT(COMPLEX_KEY_SPARSE_HASHED())``."""

    type: str = "COMPLEX_KEY_SPARSE_HASHED"
    initial_array_size: int | None = None
    max_load_factor: float | None = None


@config_class
@attrs.define(kw_only=True)
class ComplexKeyHashedArrayLayout:
    """``LAYOUT(COMPLEX_KEY_HASHED_ARRAY())``."""

    type: str = "COMPLEX_KEY_HASHED_ARRAY"
    shards: int | None = None


@config_class
@attrs.define(kw_only=True)
class ComplexKeyCacheLayout:
    """``LAYOUT(COMPLEX_KEY_CACHE(SIZE_IN_CELLS n))``."""

    type: str = "COMPLEX_KEY_CACHE"
    size_in_cells: int
    max_threads_for_updates: int | None = None


@config_class
@attrs.define(kw_only=True)
class ComplexKeySsdCacheLayout:
    """``LAYOUT(COMPLEX_KEY_SSD_CACHE(PATH …))``."""

    type: str = "COMPLEX_KEY_SSD_CACHE"
    path: str
    block_size: int | None = None
    file_size: int | None = None
    read_buffer_size: int | None = None
    write_buffer_size: int | None = None
    max_stored_keys: int | None = None


@config_class
@attrs.define(kw_only=True)
class ComplexKeyDirectLayout:
    """``LAYOUT(COMPLEX_KEY_DIRECT())``."""

    type: str = "COMPLEX_KEY_DIRECT"


DictionaryLayout = (FlatLayout | HashedLayout | SparseHashedLayout | HashedArrayLayout | RangeHashedLayout
                    | CacheLayout | SsdCacheLayout | DirectLayout | IpTrieLayout | ComplexKeyHashedLayout
                    | ComplexKeySparseHashedLayout | ComplexKeyHashedArrayLayout | ComplexKeyCacheLayout
                    | ComplexKeySsdCacheLayout | ComplexKeyDirectLayout)
"""Any of the fifteen layouts."""
LAYOUTS: tuple[type, ...] = DictionaryLayout.__args__

# -- external sources -----------------------------------------------------------------------------------


@config_class
@attrs.define(kw_only=True)
class HttpSource:
    """An HTTP(S) endpoint returning the rows in ``format``."""

    type: str = "HTTP"
    url: str
    format: str
    method: str | None = None
    where_clause: str | None = None


@config_class
@attrs.define(kw_only=True)
class ClickHouseRemoteSource:
    """A table (or query) on another ClickHouse server."""

    type: str = "CLICK_HOUSE"
    host: str
    port: int
    user: str
    password: str
    db: str
    table: str
    query: str | None = None
    where_clause: str | None = None
    invalidate_query: str | None = None


@config_class
@attrs.define(kw_only=True)
class MysqlSource:
    """A MySQL table (or query)."""

    type: str = "MYSQL"
    host: str
    port: int = 3306
    user: str
    password: str
    db: str
    table: str
    query: str | None = None
    where_clause: str | None = None
    invalidate_query: str | None = None


@config_class
@attrs.define(kw_only=True)
class PostgresqlSource:
    """A PostgreSQL table (or query)."""

    type: str = "POSTGRESQL"
    host: str
    port: int = 5432
    user: str
    password: str
    db: str
    table: str
    query: str | None = None
    where_clause: str | None = None
    invalidate_query: str | None = None


@config_class
@attrs.define(kw_only=True)
class RedisSource:
    """Redis keys."""

    type: str = "REDIS"
    host: str
    port: int = 6379
    storage_type: str
    password: str | None = None
    db_index: int | None = None


@config_class
@attrs.define(kw_only=True)
class MongoDbSource:
    """A MongoDB collection."""

    type: str = "MONGODB"
    host: str
    port: int = 27017
    user: str
    password: str
    db: str
    collection: str


@config_class
@attrs.define(kw_only=True)
class ExecutableSource:
    """A program printing the rows in ``format``."""

    type: str = "EXECUTABLE"
    command: str
    format: str
    implicit_key: bool | None = None


@config_class
@attrs.define(kw_only=True)
class S3Source:
    """Files in S3."""

    type: str = "S3"
    url: str
    format: str
    access_key_id: str | None = None
    secret_access_key: str | None = None


ExternalSource = (HttpSource | ClickHouseRemoteSource | MysqlSource | PostgresqlSource | RedisSource | MongoDbSource
                  | ExecutableSource | S3Source)
"""Any of the eight external sources."""
EXTERNAL_SOURCES: tuple[type, ...] = ExternalSource.__args__
_SOURCE_SECRETS = ("password", "secret_access_key")
_COMPLEX_KEY = frozenset({"COMPLEX_KEY_HASHED", "COMPLEX_KEY_SPARSE_HASHED", "COMPLEX_KEY_HASHED_ARRAY",
                          "COMPLEX_KEY_CACHE", "COMPLEX_KEY_SSD_CACHE", "COMPLEX_KEY_DIRECT"})


def _secret_value(value: Any) -> Any:
    """pydantic's ``SecretStr`` unwrapped (a project may pass one), anything else as is."""
    getter = getattr(value, "get_secret_value", None)
    return getter() if callable(getter) else value


@config_class
@attrs.define(kw_only=True)
class OlapDictionaryConfig:
    """A dictionary: exactly one source (``source_table``, ``source_query`` with ``source_tables``, or
    ``external_source``), the ``primary_key`` columns, a ``layout`` and a ``lifetime`` (seconds, or a range)."""

    source_table: Any = None
    source_query: str | None = None
    source_tables: list[Any] | None = None
    external_source: Any = None
    primary_key: list[str]
    layout: Any
    lifetime: int | DictionaryLifetime = attrs.field(factory=lambda: DictionaryLifetime(min=0, max=0))
    invalidate: DictionaryInvalidation | None = None
    columns: dict[str, DictionaryColumn] | None = None
    settings: dict[str, str | int] | None = None
    comment: str | None = None
    database: str | None = None
    cluster: str | None = None
    life_cycle: LifeCycle | None = None
    metadata: dict[str, Any] | None = None

    def _normalize(self) -> None:
        given = sum(s is not None for s in (self.source_table, self.source_query, self.external_source))
        if given != 1:
            raise DeclarationError(f"OlapDictionaryConfig: exactly one of source_table, source_query or "
                                   f"external_source must be set (got {given})", "give one source")
        if self.source_query is not None and not self.source_query.strip():
            raise DeclarationError("OlapDictionaryConfig.source_query must not be blank", "give the query")
        if self.source_query is not None and not self.source_tables:
            raise DeclarationError("OlapDictionaryConfig: source_query needs source_tables",
                                   "list the tables the query reads in source_tables=[...]")
        if self.external_source is not None and not isinstance(self.external_source, EXTERNAL_SOURCES):
            raise DeclarationError(f"OlapDictionaryConfig.external_source: expected one of "
                                   f"{', '.join(c.__name__ for c in EXTERNAL_SOURCES)}, got {self.external_source!r}",
                                   "use MysqlSource(...), HttpSource(...), …")
        if not isinstance(self.layout, LAYOUTS):
            raise DeclarationError(f"OlapDictionaryConfig.layout: expected a layout such as HashedLayout(), got "
                                   f"{self.layout!r}", "use one of the *Layout classes")
        if isinstance(self.lifetime, int) and self.lifetime < 0:
            raise DeclarationError(f"OlapDictionaryConfig.lifetime must not be negative, got {self.lifetime}",
                                   "give 0 (never reload) or a number of seconds")
        if not self.primary_key:
            raise DeclarationError("OlapDictionaryConfig.primary_key must name at least one column",
                                   'write primary_key=["id"]')
        layout_type: str = getattr(self.layout, "type", "")
        if layout_type not in _COMPLEX_KEY and len(self.primary_key) != 1:
            raise DeclarationError(f"OlapDictionaryConfig: layout {layout_type} takes exactly one key column, got "
                                   f"{len(self.primary_key)}", "use a COMPLEX_KEY_* layout for composite keys")
        if self.external_source is not None and self.invalidate is not None:
            raise DeclarationError("OlapDictionaryConfig: invalidate cannot be used with external_source",
                                   "use the source's own invalidate_query")
        if isinstance(self.life_cycle, str):
            self.life_cycle = LifeCycle(self.life_cycle)


class OlapDictionary(ModelTyped[T], Generic[T]):
    """A ClickHouse dictionary whose attributes are the fields of ``T``."""

    life_cycle: LifeCycle | None
    kind: str = "OlapDictionary"

    def __init__(self, name: str, config: OlapDictionaryConfig, *, t: type[T] | None = None) -> None:
        self.location = caller_location()
        here = prefix(self.location, display_base())
        if t is None:
            raise DeclarationError(f"{here}OlapDictionary {name!r}: no row model",
                                   f'write OlapDictionary[Model]("{name}", OlapDictionaryConfig(...))')
        self.name = name
        self.config = config
        self.model_type: type[T] = t
        self.life_cycle = config.life_cycle
        self.metadata = dict(config.metadata or {})
        try:
            self.column_models = columns_of(t)
            tables = [config.source_table] if config.source_table is not None else list(config.source_tables or [])
            self.source_tables = [table_reference(s) for s in tables]
            names = {c.name for c in self.column_models}
            for key in config.primary_key:
                if key not in names:
                    raise DeclarationError(f"primary_key: {key!r} is not a field of {t.__name__}",
                                           f"use one of {', '.join(sorted(names))}")
        except DeclarationError as exc:
            raise placed(exc, self.location, display_base(), f"OlapDictionary {name!r}") from None
        registry = active_registry()
        if registry is not None:
            registry.add_recorded("OlapDictionary", name, self)

    # -- SQL fragments, as Moose gives them -----------------------------------------------------------------

    def get(self, attr: str, *keys: Any) -> str:
        """``dictGet('db.name', 'attr', key)``."""
        return f"dictGet('{self._qualified_name()}', '{attr}', {self._key_expression(keys)})"

    def get_or_default(self, attr: str, default: Any, *keys: Any) -> str:
        """``dictGetOrDefault('db.name', 'attr', key, default)``."""
        return f"dictGetOrDefault('{self._qualified_name()}', '{attr}', {self._key_expression(keys)}, {default})"

    def has(self, *keys: Any) -> str:
        """``dictHas('db.name', key)``."""
        return f"dictHas('{self._qualified_name()}', {self._key_expression(keys)})"

    def _key_expression(self, keys: tuple[Any, ...]) -> str:
        expected = len(self.config.primary_key)
        if len(keys) != expected:
            raise DeclarationError(f"OlapDictionary {self.name!r}: expected {expected} key argument(s) for "
                                   f"{self.config.primary_key}, got {len(keys)}", "pass one key per key column")
        return f"tuple({', '.join(map(str, keys))})" if len(keys) > 1 else str(keys[0])

    def _qualified_name(self) -> str:
        return f"{self.config.database}.{self.name}" if self.config.database else self.name

    # -- the infra map --------------------------------------------------------------------------------------

    def to_dictionary(self, *, project_dir: Path | None = None, **_: Any) -> Dictionary:
        """The dictionary as the model holds it (Moose's encoding, passwords hidden)."""
        dictionary = Dictionary.from_encoding(self.to_recorded(project_dir=project_dir).value)
        return attrs.evolve(dictionary, secrets=self.secrets())

    def secrets(self) -> dict[str, str]:
        """The source's credentials as declared (``password``, ``secret_access_key``), by field name."""
        source = self.config.external_source
        if source is None:
            return {}
        return {k: str(_secret_value(v)) for k, v in _fields(source).items() if k in _SOURCE_SECRETS}

    def to_recorded(self, *, project_dir: Path | None = None, **_: Any) -> RecordedResource:
        """The dictionary as Moose's infra map writes it under ``olap_dictionaries`` (passwords hidden)."""
        from muskox.declare.olap_table import source_metadata
        from muskox.declare.registry import declaring_codec, declaring_dialect

        to_json = declaring_codec().to_json

        config = self.config
        invalidate_query = None
        if config.invalidate is not None and self.source_tables:
            invalidate_query = declaring_dialect().aggregate_query_sql(config.invalidate.fn, config.invalidate.column,
                                                                       self.source_tables[0])
        value = {
            "name": self.name, "database": config.database, "clusterName": config.cluster,
            "source": self._source(invalidate_query), "primaryKey": list(config.primary_key),
            "columns": self._columns(), "layout": _fields(config.layout), "lifetime": _lifetime(config.lifetime),
            "invalidateQuery": invalidate_query,
            "settings": {k: str(v) for k, v in (config.settings or {}).items()}, "comment": config.comment,
            "metadata": to_json(source_metadata(self.metadata, self.location, project_dir)),
            "lifeCycle": (self.life_cycle or LifeCycle.FULLY_MANAGED).value,
        }
        return RecordedResource(section="olap_dictionaries", key=self.name, kind="dictionary", name=self.name,
                                status=RecordedStatus.NOT_YET, value=value)

    def _source(self, invalidate_query: str | None) -> dict[str, Any]:
        config = self.config
        if config.source_table is not None:
            source = config.source_table
            table = getattr(source, "physical_name", getattr(source, "name", str(source)))
            database = source.config.database if hasattr(source, "physical_name") else getattr(source, "database",
                                                                                               None)
            result: dict[str, Any] = {"type": "TABLE", "table": table, "database": database}
        elif config.source_query is not None:
            result = {"type": "QUERY", "query": config.source_query}
        else:
            external = {k: (HIDDEN if k in _SOURCE_SECRETS and v is not None else _secret_value(v))
                        for k, v in _fields(config.external_source).items()}
            external["source_type"] = external.pop("type")
            return {"type": "EXTERNAL", "externalSource": external}
        if invalidate_query is not None:
            result["invalidateQuery"] = invalidate_query
        return result

    def _columns(self) -> list[dict[str, Any]]:
        from muskox.declare.registry import declaring_codec, declaring_dialect

        unstructure_column = declaring_codec().unstructure_column
        render_type = declaring_dialect().render_type

        overrides = self.config.columns or {}
        result = []
        for column in self.column_models:
            encoded = unstructure_column(column)
            type_string = encoded["data_type"] if isinstance(encoded["data_type"], str) \
                else render_type(column.data_type)
            entry: dict[str, Any] = {"name": column.name, "typeString": type_string}
            override = overrides.get(column.name)
            if override is not None:
                for key, attribute in (("defaultValue", "default"), ("expression", "expression"),
                                       ("comment", "comment")):
                    if getattr(override, attribute) is not None:
                        entry[key] = getattr(override, attribute)
                for key, attribute in (("isInjective", "injective"), ("isHierarchical", "hierarchical"),
                                       ("isObjectId", "is_object_id")):
                    if getattr(override, attribute):
                        entry[key] = True
            result.append(entry)
        return result

    def __repr__(self) -> str:
        return f"OlapDictionary({self.name!r})"


def _fields(value: Any) -> dict[str, Any]:
    """An attrs config's set fields (None left out), in declaration order."""
    return {a.name: getattr(value, a.name) for a in attrs.fields(type(value)) if getattr(value, a.name) is not None}


def _lifetime(lifetime: int | DictionaryLifetime) -> dict[str, Any]:
    """``{"type": "STATIC"}``, ``{"type": "SINGLE", "seconds": n}`` or ``{"type": "RANGE", "min": a, "max": b}``."""
    low, high = (lifetime, lifetime) if isinstance(lifetime, int) else (lifetime.min, lifetime.max)
    if high == 0:
        return {"type": "STATIC"}
    if low == high or isinstance(lifetime, int):
        return {"type": "SINGLE", "seconds": high}
    return {"type": "RANGE", "min": low, "max": high}
