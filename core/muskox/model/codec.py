"""The model to and from JSON in Moose's formats (spec sections 2.3 and 4): :class:`ModelCodec`.

``remote_state.json``, ``local_infra_map.json``, the stored state and the ``table``/``column`` fields of plan
operations all use these encodings, so files read the same in Moose and muskox. Keys are emitted in Moose's
order-independent form (the writer sorts them); optional table keys are omitted when empty, as Moose does.

Types outside Moose's vocabulary are written in the OLAP backend's dialect, so a codec is built for one
(:func:`model_codec`): its one cattrs converter, built after plugins registered their operations, serves every
model value.
"""

from __future__ import annotations

import functools
import marshal
from collections.abc import Iterable
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn

from muskox.model.codec_types import TypeCodec, TypeText
from muskox.model.engines import (
    AggregatingMergeTree,
    CollapsingMergeTree,
    Engine,
    MergeTree,
    OtherEngine,
    ReplacingMergeTree,
    Replication,
    SummingMergeTree,
    VersionedCollapsingMergeTree,
    engine_name,
)
from muskox.model.infra_map import InfraMap, file_keys, moose_table_key, table_id, view_id
from muskox.model.recorded import (
    CONSTRAINTS,
    SECTIONS,
    RecordedResource,
    by_map_key,
    constraint_record,
    is_recorded_table,
    read_recorded,
)
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Column, LifeCycle, Metadata, SourceFile, Table, TableIndex, TableProjection
from muskox.model.types import AggregateFunction, DataType, LowCardinality, Nullable, SimpleAggregateFunction

__all__ = ["ModelCodec", "model_codec", "structure_engine", "unstructure_engine"]

T = TypeVar("T")

# -- Moose's record keys --------------------------------------------------------------------------------

_LOW_CARDINALITY = "LowCardinality"
_SIMPLE_AGGREGATION = "simpleAggregationFunction"
_AGGREGATION = "aggregationFunction"

_COLUMN_KEYS = frozenset({"name", "data_type", "required", "unique", "primary_key", "default", "annotations",
                          "comment", "ttl", "codec", "materialized", "alias"})

_TABLE_KEYS = frozenset({
    "name", "columns", "order_by", "partition_by", "sample_by", "engine", "version", "source_primitive",
    "metadata", "life_cycle", "engine_params_hash", "table_settings_hash", "table_settings", "indexes",
    "projections", "database", "table_ttl_setting", "cluster_name", "primary_key_expression", "seed_filter",
    "constraints",
})

_EMPTY_MOOSE_SECTIONS = ("api_endpoints", "consumption_api_web_server", "dmv1_views", "function_processes",
                         "olap_dictionaries", "orchestration_workers", "select_row_policies", "sql_resources",
                         "topic_to_table_sync_processes", "topic_to_topic_sync_processes", "web_apps", "workflows")


# -- engines --------------------------------------------------------------------------------------------


def unstructure_engine(engine: Engine) -> Any:
    """Serde's external tagging: bare strings for unit variants, ``{Name: {fields}}`` for the others."""
    if isinstance(engine, OtherEngine):
        return {"Other": {"name": engine.name, "arguments": engine.arguments}}
    fields: dict[str, Any] = {}
    if engine.replication is not None:
        fields.update(keeper_path=engine.replication.keeper_path, replica_name=engine.replication.replica_name)
    match engine:
        case ReplacingMergeTree(ver=ver, is_deleted=is_deleted):
            fields.update(ver=ver, is_deleted=is_deleted)
        case SummingMergeTree(columns=columns):
            fields.update(columns=list(columns))
        case CollapsingMergeTree(sign=sign):
            fields.update(sign=sign)
        case VersionedCollapsingMergeTree(sign=sign, ver=ver):
            fields.update(sign=sign, ver=ver)
    name = engine_name(engine)
    return {name: fields} if fields or engine.replication is not None else name


_MERGE_TREES: dict[str, type] = {cls.__name__: cls for cls in (
    MergeTree, ReplacingMergeTree, SummingMergeTree, AggregatingMergeTree, CollapsingMergeTree,
    VersionedCollapsingMergeTree)}


def structure_engine(value: Any, _: type = object) -> Engine:
    """Read an engine in serde's external tagging (missing ⇒ MergeTree)."""
    if value is None:
        return MergeTree()
    fields: dict[str, Any]
    if isinstance(value, str):
        tag, fields = value, {}
    elif isinstance(value, dict) and len(value) == 1:
        tag, fields = next(iter(value.items()))
        fields = dict(fields or {})
    else:
        raise ValueError(f"engine must be a name or a single-key mapping, got {value!r}")
    if tag == "Other":
        return OtherEngine(name=_str(fields.get("name"), "engine.name"), arguments=fields.get("arguments"))
    replication = None
    base = tag
    if tag.startswith("Replicated") and tag[len("Replicated"):] in _MERGE_TREES:
        base = tag[len("Replicated"):]
        replication = Replication(keeper_path=fields.pop("keeper_path", None),
                                  replica_name=fields.pop("replica_name", None))
    cls = _MERGE_TREES.get(base)
    if cls is None:
        raise ValueError(f"engine {tag!r} is not supported by muskox yet; supported: "
                         f"{', '.join(_MERGE_TREES)} (and their Replicated variants)")
    if "columns" in fields:
        fields["columns"] = tuple(fields["columns"] or ())
    try:
        engine: Engine = cls(replication=replication, **fields)
    except TypeError as exc:
        raise ValueError(f"engine {tag}: {exc}") from None
    return engine


# -- helpers --------------------------------------------------------------------------------------------


def _logical_name(table: Table) -> str:
    suffix = "_" + table.version.replace(".", "_") if table.version else ""
    return table.name[: -len(suffix)] if suffix and table.name.endswith(suffix) else table.name



def _mapping(value: Any, what: str, allowed: frozenset[str] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a mapping, got {type(value).__name__}")
    if allowed is not None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"{what} has unknown key(s) {', '.join(unknown)}")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {value!r}")
    return value


def _structure_index(value: Any, _: type) -> TableIndex:
    data = _mapping(value, "index", frozenset({"name", "expression", "type", "index_type", "arguments",
                                               "granularity"}))
    return TableIndex(name=_str(data["name"], "index.name"), expression=_str(data["expression"], "index.expression"),
                      type=_str(data.get("type", data.get("index_type")), "index.type"),
                      arguments=tuple(str(a) for a in data.get("arguments") or ()),
                      granularity=int(data.get("granularity", 1)))


# -- the codec ------------------------------------------------------------------------------------------

_COLUMN_LISTS_MAX = 4096


class ModelCodec:
    """Every model value to and from JSON, with types outside Moose's vocabulary written in ``dialect``.

    Build one with :func:`model_codec` (one per dialect); :attr:`converter` is a cattrs converter that also
    structures and unstructures operation and delta classes whose fields are model values.
    """

    def __init__(self, dialect: TypeText) -> None:
        self.types = TypeCodec(dialect)
        """Data types in Moose's encoding (and the dialect's text)."""
        self._column_lists: dict[bytes, tuple[Column, ...]] = {}
        """Column lists already read, by their serialized data: a state of many tables repeats the same few lists,
        and sharing the (immutable) columns makes reading and then normalizing them cheap."""
        self._structure_fns: dict[type, Any] = {}
        self.converter = self._make_converter()
        """The converter for every model value."""

    def to_json(self, value: Any) -> Any:
        """Unstructure any model value to JSON-ready Python data."""
        return self.converter.unstructure(value)

    def from_json(self, data: Any, cls: type[T]) -> T:
        """Structure JSON data into ``cls``."""
        return self.converter.structure(data, cls)

    def structure_fn(self, cls: type) -> Any:
        """A structuring function for the attrs class ``cls`` that rejects unknown keys and reports every
        problem with its path (generated on first use: generating one compiles code)."""
        function = self._structure_fns.get(cls)
        if function is None:
            function = self._structure_fns[cls] = make_dict_structure_fn(
                cls, self.converter, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True)
        return function

    # -- model values ------------------------------------------------------------------------------------

    def unstructure_column(self, column: Column) -> dict[str, Any]:
        """A column in Moose's encoding (``required`` = not nullable; top-level LowCardinality as annotation)."""
        data_type: DataType = column.data_type
        annotations: list[list[Any]] = []
        if isinstance(data_type, LowCardinality):
            annotations.append([_LOW_CARDINALITY, True])
            data_type = data_type.inner
        if isinstance(data_type, SimpleAggregateFunction) and len(data_type.arguments) == 1:
            argument = self.types.encode(data_type.arguments[0])
            annotations.append([_SIMPLE_AGGREGATION, {"functionName": data_type.function, "argumentType": argument}])
            encoded: Any = argument
        else:
            encoded = self.types.encode(data_type)
        result: dict[str, Any] = {
            "name": column.name, "data_type": encoded, "required": not column.nullable, "unique": column.unique,
            "primary_key": column.primary_key, "default": column.default, "annotations": annotations,
        }
        for key in ("comment", "ttl", "codec", "materialized", "alias"):
            if getattr(column, key) is not None:
                result[key] = getattr(column, key)
        return result

    def structure_column(self, value: Any, _: type = Column) -> Column:
        """Read a column in Moose's encoding."""
        data = _mapping(value, "column", _COLUMN_KEYS)
        data_type = self.types.decode(data["data_type"])
        annotations = {str(a[0]): a[1] for a in data.get("annotations") or []}
        if _SIMPLE_AGGREGATION in annotations:
            spec = annotations[_SIMPLE_AGGREGATION]
            data_type = SimpleAggregateFunction(str(spec["functionName"]), (self.types.decode(spec["argumentType"]),))
        elif _AGGREGATION in annotations:
            spec = annotations[_AGGREGATION]
            data_type = AggregateFunction(str(spec["functionName"]),
                                          tuple(self.types.decode(t) for t in spec.get("argumentTypes") or []))
        if annotations.get(_LOW_CARDINALITY) is True:
            data_type = LowCardinality(data_type)
        nullable = data.get("required") is False
        if isinstance(data_type, Nullable):  # an explicit {nullable: T} at the top level means the same
            data_type, nullable = data_type.inner, True
        return Column(
            name=_str(data["name"], "name"), data_type=data_type, nullable=nullable,
            primary_key=bool(data.get("primary_key", False)), default=data.get("default"),
            materialized=data.get("materialized"), alias=data.get("alias"), comment=data.get("comment"),
            codec=data.get("codec"), ttl=data.get("ttl"), unique=bool(data.get("unique", False)),
        )

    def unstructure_table(self, table: Table) -> dict[str, Any]:
        """A table in Moose's encoding."""
        result: dict[str, Any] = {
            "name": table.name,
            "columns": [self.unstructure_column(c) for c in table.columns],
            "order_by": table.order_by if isinstance(table.order_by, str) else list(table.order_by),
            "engine": unstructure_engine(table.engine),
            "version": table.version,
            "source_primitive": {"name": _logical_name(table), "primitive_type": "DataModel"},
            "metadata": self.converter.unstructure(table.metadata),
            "life_cycle": table.life_cycle.value,
            "indexes": [self.converter.unstructure(i) for i in table.indexes],
            "projections": [self.converter.unstructure(p) for p in table.projections],
            "constraints": [],
        }
        optional = {"partition_by": table.partition_by, "sample_by": table.sample_by, "database": table.database,
                    "table_ttl_setting": table.ttl, "cluster_name": table.cluster,
                    "primary_key_expression": table.primary_key_expression,
                    "table_settings": dict(table.settings) if table.settings else None}
        result.update({k: v for k, v in optional.items() if v is not None})
        return result

    def _structure_columns(self, value: Any) -> tuple[Column, ...]:
        if not value:
            return ()
        try:
            key = marshal.dumps(value)  # equal bytes mean equal data (a few µs, where json.dumps takes 25)
        except ValueError:  # not plain data (a value YAML turned into an object): read it uncached
            return tuple(self.converter.structure(value, list[Column]))
        columns = self._column_lists.get(key)
        if columns is None:
            columns = tuple(self.converter.structure(value, list[Column]))
            if len(self._column_lists) >= _COLUMN_LISTS_MAX:
                self._column_lists.clear()
            self._column_lists[key] = columns
        return columns

    def _structure_list(self, value: Any, cls: type[T]) -> tuple[T, ...]:
        return tuple(self.converter.structure(value, list[cls])) if value else ()  # type: ignore[valid-type]

    def structure_table(self, value: Any, _: type = Table) -> Table:
        """Read a table in Moose's encoding (hashes and ``source_primitive`` are recomputed, not kept)."""
        data = _mapping(value, "table", _TABLE_KEYS)
        order_by = data.get("order_by") or ()
        settings = data.get("table_settings") or {}
        metadata = data.get("metadata")
        life_cycle = data.get("life_cycle")
        return Table(
            name=_str(data["name"], "name"),
            columns=self._structure_columns(data.get("columns")),
            engine=structure_engine(data.get("engine")),
            database=data.get("database"),
            order_by=order_by if isinstance(order_by, str) else tuple(_str(o, "order_by") for o in order_by),
            partition_by=data.get("partition_by"),
            primary_key_expression=data.get("primary_key_expression"),
            sample_by=data.get("sample_by"),
            ttl=data.get("table_ttl_setting"),
            settings={str(k): str(v) for k, v in settings.items()},
            indexes=self._structure_list(data.get("indexes"), TableIndex),
            projections=self._structure_list(data.get("projections"), TableProjection),
            version=data.get("version"),
            life_cycle=LifeCycle.FULLY_MANAGED if not life_cycle or life_cycle == "FULLY_MANAGED"
            else LifeCycle(life_cycle),
            cluster=data.get("cluster_name"),
            metadata=None if metadata is None
            else self.converter.structure(metadata, Metadata | None),  # type: ignore[arg-type]
        )

    def unstructure_view(self, view: View) -> dict[str, Any]:
        """A view in Moose's (camelCase) encoding."""
        result: dict[str, Any] = {"name": view.name, "selectSql": view.select_sql,
                                  "sourceTables": list(view.source_tables)}
        if view.database is not None:
            result["database"] = view.database
        if view.metadata is not None:
            result["metadata"] = self.converter.unstructure(view.metadata)
        return result

    def structure_view(self, value: Any, _: type = View) -> View:
        """Read a view."""
        data = _mapping(value, "view", frozenset({"name", "selectSql", "sourceTables", "database", "metadata"}))
        return View(name=_str(data["name"], "name"), select_sql=_str(data["selectSql"], "selectSql"),
                    database=data.get("database"), source_tables=tuple(data.get("sourceTables") or ()),
                    metadata=self.converter.structure(data.get("metadata"), Metadata | None))  # type: ignore[arg-type]

    def unstructure_materialized_view(self, view: MaterializedView) -> dict[str, Any]:
        """A materialized view in Moose's (camelCase) encoding."""
        result: dict[str, Any] = {"name": view.name, "selectSql": view.select_sql,
                                  "sourceTables": list(view.source_tables), "targetTable": view.target_table,
                                  "lifeCycle": view.life_cycle.value}
        for key, attr in (("database", "database"), ("targetDatabase", "target_database")):
            if getattr(view, attr) is not None:
                result[key] = getattr(view, attr)
        if view.metadata is not None:
            result["metadata"] = self.converter.unstructure(view.metadata)
        return result

    def structure_materialized_view(self, value: Any, _: type = MaterializedView) -> MaterializedView:
        """Read a materialized view."""
        data = _mapping(value, "materialized view", frozenset(
            {"name", "selectSql", "sourceTables", "targetTable", "targetDatabase", "database", "lifeCycle",
             "metadata"}))
        return MaterializedView(
            name=_str(data["name"], "name"), select_sql=_str(data["selectSql"], "selectSql"),
            target_table=_str(data["targetTable"], "targetTable"), database=data.get("database"),
            target_database=data.get("targetDatabase"), source_tables=tuple(data.get("sourceTables") or ()),
            life_cycle=LifeCycle(data.get("lifeCycle") or "FULLY_MANAGED"),
            metadata=self.converter.structure(data.get("metadata"), Metadata | None),  # type: ignore[arg-type]
        )

    def unstructure_topic(self, topic: Topic) -> dict[str, Any]:
        """A topic in Moose's encoding (extra configs under muskox's ``configs`` key)."""
        retention_ms = topic.retention_ms
        result: dict[str, Any] = {
            "name": topic.name, "version": topic.version, "partition_count": topic.partitions,
            "retention_period": None if retention_ms is None else {"secs": retention_ms // 1000,
                                                                   "nanos": (retention_ms % 1000) * 1_000_000},
            "max_message_bytes": topic.max_message_bytes, "columns": [],
            "source_primitive": {"name": topic.name, "primitive_type": "DataModel"},
            "metadata": self.converter.unstructure(topic.metadata), "life_cycle": topic.life_cycle.value,
            "schema_config": None,
        }
        if topic.configs:
            result["configs"] = dict(topic.configs)
        return result

    def structure_topic(self, value: Any, _: type = Topic) -> Topic:
        """Read a topic."""
        data = _mapping(value, "topic", frozenset(
            {"name", "version", "partition_count", "retention_period", "max_message_bytes", "columns",
             "source_primitive", "metadata", "life_cycle", "schema_config", "configs"}))
        retention = data.get("retention_period")
        retention_ms = None if retention is None else int(retention.get("secs", 0)) * 1000 + int(
            retention.get("nanos", 0)) // 1_000_000
        return Topic(name=_str(data["name"], "name"), partitions=int(data.get("partition_count") or 1),
                     retention_ms=retention_ms, max_message_bytes=data.get("max_message_bytes"),
                     configs={str(k): str(v) for k, v in (data.get("configs") or {}).items()},
                     version=data.get("version"), life_cycle=LifeCycle(data.get("life_cycle") or "FULLY_MANAGED"),
                     metadata=self.converter.structure(data.get("metadata"), Metadata | None))  # type: ignore[arg-type]

    def unstructure_infra_map(self, infra: InfraMap) -> dict[str, Any]:
        """The whole map, with Moose's other (empty, for muskox) sections so Moose can read it."""
        result: dict[str, Any] = {key: {} for key in _EMPTY_MOOSE_SECTIONS}
        default = infra.default_database
        table_keys = file_keys({key: moose_table_key(t, default) for key, t in infra.tables.items()})
        view_keys = file_keys({key: v.name for key, v in infra.views.items()})
        mv_keys = file_keys({key: m.name for key, m in infra.materialized_views.items()})
        result.update(
            default_database=default,
            tables={table_keys[key]: self.unstructure_table(t) for key, t in infra.tables.items()},
            views={view_keys[key]: self.unstructure_view(v) for key, v in infra.views.items()},
            materialized_views={mv_keys[key]: self.unstructure_materialized_view(m)
                                for key, m in infra.materialized_views.items()},
            topics={key: self.unstructure_topic(t) for key, t in infra.topics.items()},
        )
        for recorded in infra.recorded.values():  # kept as Moose encodes them (see muskox.model.recorded)
            if recorded.section == CONSTRAINTS:
                table_key = table_keys[recorded.value["table"]]
                result["tables"][table_key]["constraints"].append(dict(recorded.value["constraint"]))
            else:
                result[recorded.section][recorded.key] = dict(recorded.value)
        return result

    def structure_infra_map(self, value: Any, _: type = InfraMap) -> InfraMap:
        """Read a map; what muskox only records (APIs, workflows, web apps, dictionaries, SQL resources, tables
        with engines it does not apply yet) is kept as written; Moose's other sections are ignored."""
        data = _mapping(value, "infrastructure map", None)
        default_database = _str(data.get("default_database") or "default", "default_database")
        recorded: list[RecordedResource] = []
        for section in SECTIONS:
            for key, entry in (data.get(section) or {}).items():
                if section != "tables" or is_recorded_table(entry):
                    recorded.append(read_recorded(section, key, entry))
        tables: dict[str, Table] = {}
        for entry in (data.get("tables") or {}).values():
            if not is_recorded_table(entry):
                table = self.structure_table(entry)
                key = table_id(table, default_database)
                tables[key] = table
                recorded += [constraint_record(key, table.name, c) for c in entry.get("constraints") or ()]
        return InfraMap(
            default_database=default_database,
            tables=tables,
            views=_by_view_id((self.structure_view(v) for v in (data.get("views") or {}).values()),
                              default_database),
            materialized_views=_by_view_id((self.structure_materialized_view(v)
                                            for v in (data.get("materialized_views") or {}).values()),
                                           default_database),
            topics={k: self.structure_topic(v) for k, v in (data.get("topics") or {}).items()},
            recorded=by_map_key(recorded),
        )

    # -- the converter -----------------------------------------------------------------------------------

    def _make_converter(self) -> cattrs.Converter:
        conv = cattrs.Converter(forbid_extra_keys=True)
        conv.register_structure_hook(str, lambda v, _: _str(v, "value"))
        conv.register_unstructure_hook(Column, self.unstructure_column)
        conv.register_structure_hook(Column, self.structure_column)
        conv.register_unstructure_hook(Table, self.unstructure_table)
        conv.register_structure_hook(Table, self.structure_table)
        conv.register_unstructure_hook(View, self.unstructure_view)
        conv.register_structure_hook(View, self.structure_view)
        conv.register_unstructure_hook(MaterializedView, self.unstructure_materialized_view)
        conv.register_structure_hook(MaterializedView, self.structure_materialized_view)
        conv.register_unstructure_hook(Topic, self.unstructure_topic)
        conv.register_structure_hook(Topic, self.structure_topic)
        conv.register_unstructure_hook(InfraMap, self.unstructure_infra_map)
        conv.register_structure_hook(InfraMap, self.structure_infra_map)
        conv.register_unstructure_hook(LifeCycle, lambda lc: lc.value)
        conv.register_unstructure_hook_func(
            lambda t: t is Metadata, lambda m: {"description": m.description,
                                                "source": None if m.source is None else {"file": m.source.file}})
        conv.register_structure_hook(SourceFile, lambda v, _: SourceFile(file=_str(v.get("file"), "source.file")))
        conv.register_unstructure_hook(TableIndex, lambda i: {
            "name": i.name, "expression": i.expression, "type": i.type, "arguments": list(i.arguments),
            "granularity": i.granularity})
        conv.register_structure_hook(TableIndex, _structure_index)
        return conv


@functools.cache
def model_codec(dialect: TypeText) -> ModelCodec:
    """The codec of ``dialect`` (one per dialect: dialects are immutable, and the codec keeps no answers that
    depend on anything else)."""
    return ModelCodec(dialect)


V = TypeVar("V", View, MaterializedView)


def _by_view_id(views: Iterable[V], default_database: str) -> dict[str, V]:
    """Views keyed as in an :class:`InfraMap` (the file's keys are Moose's bare names, which may clash)."""
    return {view_id(v.database, v.name, default_database): v for v in views}
