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
import itertools
import marshal
import re
import typing
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory, mapping_structure_factory
from cattrs.gen import make_dict_structure_fn

from muskox.model.codec_types import TypeCodec, TypeText
from muskox.model.dictionary import Dictionary
from muskox.model.engines import (
    INTEGRATION_SECRETS,
    AggregatingMergeTree,
    CollapsingMergeTree,
    Engine,
    IntegrationEngine,
    MergeTree,
    OtherEngine,
    ReplacingMergeTree,
    Replication,
    SummingMergeTree,
    VersionedCollapsingMergeTree,
    engine_name,
    mask_settings,
)
from muskox.model.extensions import ENCODING_KEY as EXTENSIONS_KEY
from muskox.model.extensions import Extensions, read_extensions, write_extensions
from muskox.model.infra_map import InfraMap, file_keys, moose_table_key, table_id, view_id
from muskox.model.recorded import (
    SECTIONS,
    RecordedResource,
    by_map_key,
    is_recorded_table,
    read_recorded,
)
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.sql_resource import SqlResource
from muskox.model.table import (
    Column,
    LifeCycle,
    Metadata,
    SourceFile,
    Table,
    TableConstraint,
    TableIndex,
    TableProjection,
)
from muskox.model.types import AggregateFunction, DataType, LowCardinality, Nullable, SimpleAggregateFunction

__all__ = ["ModelCodec", "model_codec", "structure_engine", "unstructure_engine"]

T = TypeVar("T")
R = TypeVar("R")

# -- Moose's record keys --------------------------------------------------------------------------------

_LOW_CARDINALITY = "LowCardinality"
_SIMPLE_AGGREGATION = "simpleAggregationFunction"
_AGGREGATION = "aggregationFunction"

_COLUMN_KEYS = frozenset({"name", "data_type", "required", "unique", "primary_key", "default", "annotations",
                          "comment", "ttl", "codec", "materialized", "alias"})

_COLUMN_TEXT_KEYS = ("default", "materialized", "alias", "comment", "codec", "ttl")

_TABLE_TEXT_KEYS = ("database", "partition_by", "primary_key_expression", "sample_by", "table_ttl_setting",
                    "version", "cluster_name")

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
    if isinstance(engine, IntegrationEngine):  # credentials never reach a file
        return {engine.name: {key: _plain(value) for key, value in engine.masked().fields}}
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


def _plain(value: object) -> Any:
    """An integration engine's field value as JSON (a mapping of headers is kept as tuple pairs in the model)."""
    return dict(value) if isinstance(value, tuple) else value


def _integration_value(value: Any, what: str) -> object:
    """A field of an integration engine: a string, an integer, null, or a mapping of strings (headers)."""
    if value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, dict):
        return tuple(sorted(read_str_map(value, what).items()))
    raise ValueError(f"{what}: expected a string, an integer or a mapping, got {describe_value(value)}")


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
        tag, raw = next(iter(value.items()))
        tag = read_str(tag, "engine name")
        fields = {} if raw is None else dict(read_mapping(raw, f"engine {tag}", None))
    else:
        raise ValueError(f"engine: expected a name or a single-key mapping, got {describe_value(value)}")
    if tag in INTEGRATION_SECRETS:
        return IntegrationEngine(name=tag, fields=tuple((read_str(key, f"engine {tag} field"),
                                                         _integration_value(item, f"engine {tag}.{key}"))
                                                        for key, item in fields.items()))
    if tag == "Other":
        read_mapping(fields, "engine Other", frozenset({"name", "arguments"}))
        return OtherEngine(name=read_str(fields.get("name"), "engine.name"),
                           arguments=read_optional_str(fields.get("arguments"), "engine.arguments"))
    replication = None
    base = tag
    if tag.startswith("Replicated") and tag[len("Replicated"):] in _MERGE_TREES:
        base = tag[len("Replicated"):]
        replication = Replication(
            keeper_path=read_optional_str(fields.pop("keeper_path", None), f"engine {tag}.keeper_path"),
            replica_name=read_optional_str(fields.pop("replica_name", None), f"engine {tag}.replica_name"))
    cls = _MERGE_TREES.get(base)
    if cls is None:
        raise ValueError(f"engine {quote(tag)} is not supported by muskox yet; supported: "
                         f"{', '.join(_MERGE_TREES)} (and their Replicated variants)")
    allowed = frozenset(field.name for field in attrs.fields(cls)) - {"replication"}
    read_mapping(fields, f"engine {tag}", allowed)
    for name, field_value in fields.items():
        what = f"engine {tag}.{name}"
        fields[name] = read_str_list(field_value, what) if name == "columns" else \
            read_optional_str(field_value, what)
    missing = sorted(field.name for field in attrs.fields(cls)
                     if field.default is attrs.NOTHING and fields.get(field.name) is None)
    if missing:
        raise ValueError(f"engine {tag}: {', '.join(missing)}: required field missing")
    engine: Engine = cls(replication=replication, **fields)
    return engine


# -- helpers --------------------------------------------------------------------------------------------


def _logical_name(table: Table) -> str:
    suffix = "_" + table.version.replace(".", "_") if table.version else ""
    return table.name[: -len(suffix)] if suffix and table.name.endswith(suffix) else table.name


# -- reading scalars strictly --------------------------------------------------------------------------
#
# Files are edited by hand, so every value is checked against its field: a boolean must be a YAML/JSON boolean
# (the string "false" is an error, not true), an integer an integer (not a boolean or a string), a list a list
# (a string is not a list of its characters). Messages name the value by its kind and at most a short prefix.

SHOWN_CHARS = 60
"""Error messages quote at most this many characters of a bad value, then ``…``."""

_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")


def quote(text: str) -> str:
    """``text`` quoted for an error message: at most :data:`SHOWN_CHARS` characters, then ``…``."""
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…")


def clip(text: str) -> str:
    """``text`` (a name or key in a path) cut to :data:`SHOWN_CHARS` characters, then ``…``."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def describe_value(value: Any) -> str:
    """What a bad value is, for an error message: its kind, and for a scalar at most a short prefix of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"the integer {value}" if value.bit_length() <= 192 else "a very large integer"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {quote(value)}" if value else "an empty string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        keys = [quote(str(key)) for key in itertools.islice(value, 3)]
        more = ", …" if len(value) > 3 else ""
        return f"a mapping with key(s) {', '.join(keys)}{more}" if keys else "an empty mapping"
    if isinstance(value, bytes | bytearray):
        return "binary data"
    return f"a value of type {type(value).__name__}"


def clip_quoted(message: str) -> str:
    """``message`` with every quoted text longer than :data:`SHOWN_CHARS` characters cut short (for messages
    made elsewhere, which may quote a whole value)."""
    def clip(match: re.Match[str]) -> str:
        text = match.group(0)
        if len(text) <= SHOWN_CHARS + 2:
            return text
        return text[:SHOWN_CHARS + 1] + "…" + text[0]
    return _QUOTED.sub(clip, message)


def _problem(what: str, message: str) -> str:
    return f"{what}: {message}" if what else message


def read_mapping(value: Any, what: str, allowed: frozenset[str] | None) -> dict[str, Any]:
    """``value`` if it is a mapping (with only ``allowed`` keys, when given)."""
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected a mapping, got {describe_value(value)}")
    if allowed is not None and not allowed.issuperset(value):
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            raise ValueError(f"{what} has unknown key(s) {', '.join(quote(key) for key in unknown)}")
    return value


def read_str(value: Any, what: str) -> str:
    """``value`` if it is a string."""
    if not isinstance(value, str):
        raise ValueError(_problem(what, f"expected a string, got {describe_value(value)}"))
    return value


def read_optional_str(value: Any, what: str) -> str | None:
    """``value`` if it is a string or null."""
    return None if value is None else read_str(value, what)


def read_bool(value: Any, what: str) -> bool:
    """``value`` if it is a boolean (``true``/``false``; the string ``"false"`` is not one)."""
    if not isinstance(value, bool):
        raise ValueError(_problem(what, f"expected true or false, got {describe_value(value)}"))
    return value


def read_int(value: Any, what: str) -> int:
    """``value`` if it is an integer (a boolean or a string is not one)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(_problem(what, f"expected an integer, got {describe_value(value)}"))
    return value


def read_optional_int(value: Any, what: str) -> int | None:
    """``value`` if it is an integer or null."""
    return None if value is None else read_int(value, what)


def read_str_list(value: Any, what: str) -> tuple[str, ...]:
    """``value`` if it is a list of strings (null: empty), as a tuple."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"{what}: expected a list of strings, got {describe_value(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ValueError(f"{what}[{index}]: expected a string, got {describe_value(item)}")
    return tuple(value)


def read_str_map(value: Any, what: str) -> dict[str, str]:
    """``value`` if it is a mapping of strings to strings (null: empty)."""
    if value is None:
        return {}
    for key, item in read_mapping(value, what, None).items():
        if not isinstance(key, str):
            raise ValueError(f"{what}: keys must be strings, got {describe_value(key)}")
        if not isinstance(item, str):
            raise ValueError(f"{what}.{clip(key)}: expected a string, got {describe_value(item)}")
    return dict(value)


def read_life_cycle(value: Any, what: str) -> LifeCycle:
    """A life cycle by its name (null or missing: fully managed)."""
    if value is None:
        return LifeCycle.FULLY_MANAGED
    try:
        return LifeCycle(read_str(value, what))
    except ValueError:
        raise ValueError(f"{what}: expected one of {', '.join(m.value for m in LifeCycle)}, got "
                         f"{describe_value(value)}") from None


def _required(data: dict[str, Any], key: str) -> Any:
    if key not in data:
        raise ValueError(f"{key}: required field missing")
    return data[key]


def _optional_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what}: expected a list, got {describe_value(value)}")
    return value


def _source_file(value: Any, _: type = SourceFile) -> SourceFile | None:
    if value is None:
        return None
    return SourceFile(file=read_str(read_mapping(value, "source", frozenset({"file"})).get("file"), "source.file"))


def _structure_projection(value: Any, _: type = TableProjection) -> TableProjection:
    data = read_mapping(value, "projection", frozenset({"name", "body"}))
    return TableProjection(name=read_str(_required(data, "name"), "name"),
                           body=read_str(_required(data, "body"), "body"))


def _each(value: Any, what: str, read: typing.Callable[[Any], R]) -> tuple[R, ...]:
    """Every item of the list ``value`` (null: none) read by ``read``; a failure names its index."""
    items: list[R] = []
    try:
        for item in _optional_list(value, what):
            items.append(read(item))
    except ValueError as exc:
        raise ValueError(f"{what}[{len(items)}]: {exc}") from None
    return tuple(items)


def _structure_constraint(value: Any, _: type = TableConstraint) -> TableConstraint:
    data = read_mapping(value, "constraint", frozenset({"name", "expression", "type"}))
    kind = read_str(data.get("type", "CHECK"), "type")
    if kind not in ("CHECK", "ASSUME"):
        raise ValueError(f"type: expected CHECK or ASSUME, got {quote(kind)}")
    return TableConstraint(name=read_str(_required(data, "name"), "name"),
                           expression=read_str(_required(data, "expression"), "expression"), type=kind)


def _unstructure_constraint(constraint: TableConstraint) -> dict[str, Any]:
    return {"name": constraint.name, "expression": constraint.expression, "type": constraint.type}


def _structure_sql_resource(value: Any, _: type = SqlResource) -> SqlResource:
    return SqlResource.from_encoding(read_mapping(value, "SQL resource", None))


def _structure_extensions(value: Any) -> Extensions:
    return read_extensions(value)


def _structure_index(value: Any, _: type = TableIndex) -> TableIndex:
    data = read_mapping(value, "index", frozenset({"name", "expression", "type", "index_type", "arguments",
                                                   "granularity"}))
    return TableIndex(name=read_str(_required(data, "name"), "name"),
                      expression=read_str(_required(data, "expression"), "expression"),
                      type=read_str(data.get("type", data.get("index_type")), "type"),
                      arguments=read_str_list(data.get("arguments"), "arguments"),
                      granularity=read_int(data.get("granularity", 1), "granularity"))


def _strict_scalar_hook(kind: type) -> Any:
    reader = {bool: read_bool, int: read_int, str: read_str}.get(kind)

    def structure(value: Any, _: type) -> Any:
        if reader is not None:
            return reader(value, "")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"expected a number, got {describe_value(value)}")
        return float(value)
    return structure


#: Flags and counts inside Moose's data type encodings (``{elementType, elementNullable}``, nested columns, JSON
#: limits, enum values ``{Int: n}``): read as booleans and integers, so checked as such first.
_TYPE_FLAGS = frozenset({"elementNullable", "required", "unique", "primary_key"})
_TYPE_COUNTS = frozenset({"max_dynamic_paths", "max_dynamic_types", "Int"})


def _check_type_scalars(value: Any, what: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _TYPE_FLAGS:
                read_bool(item, f"{what}.{key}")
            elif key in _TYPE_COUNTS and not (item is None and key != "Int"):
                read_int(item, f"{what}.{key}")
            else:
                _check_type_scalars(item, f"{what}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_type_scalars(item, f"{what}[{index}]")


def _is_list_type(tp: Any) -> bool:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    return origin is list or (origin is tuple and len(args) == 2 and args[1] is Ellipsis)


def _is_mapping_type(tp: Any) -> bool:
    return typing.get_origin(tp) is dict


def _element_kind(tp: Any) -> str:
    kinds: dict[Any, str] = {str: " of strings", int: " of integers", bool: " of booleans"}
    args = typing.get_args(tp)
    return kinds.get(args[0], "") if args else ""


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
        self._engines: dict[str | bytes | None, Engine] = {}
        """Engines already read, by their name or serialized data (the tables of a state share a few)."""
        self._metadata_values: dict[bytes, Metadata | None] = {}
        """Metadata already read, by its serialized data (most tables of a file share their source file)."""
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
        data = read_mapping(value, "column", _COLUMN_KEYS)
        data_type = self.decode_type(_required(data, "data_type"), "data_type")
        annotations = self._annotations(data.get("annotations"))
        if _SIMPLE_AGGREGATION in annotations:
            spec = read_mapping(annotations[_SIMPLE_AGGREGATION], f"annotations.{_SIMPLE_AGGREGATION}", None)
            data_type = SimpleAggregateFunction(
                read_str(spec.get("functionName"), f"annotations.{_SIMPLE_AGGREGATION}.functionName"),
                (self.decode_type(spec.get("argumentType"), f"annotations.{_SIMPLE_AGGREGATION}.argumentType"),))
        elif _AGGREGATION in annotations:
            spec = read_mapping(annotations[_AGGREGATION], f"annotations.{_AGGREGATION}", None)
            arguments = _optional_list(spec.get("argumentTypes"), f"annotations.{_AGGREGATION}.argumentTypes")
            data_type = AggregateFunction(
                read_str(spec.get("functionName"), f"annotations.{_AGGREGATION}.functionName"),
                tuple(self.decode_type(t, f"annotations.{_AGGREGATION}.argumentTypes[{index}]")
                      for index, t in enumerate(arguments)))
        if _LOW_CARDINALITY in annotations and read_bool(annotations[_LOW_CARDINALITY],
                                                         f"annotations.{_LOW_CARDINALITY}"):
            data_type = LowCardinality(data_type)
        nullable = not read_bool(data.get("required", True), "required")
        if isinstance(data_type, Nullable):  # an explicit {nullable: T} at the top level means the same
            data_type, nullable = data_type.inner, True
        for key in _COLUMN_TEXT_KEYS:
            read_optional_str(data.get(key), key)
        return Column(
            name=read_str(_required(data, "name"), "name"), data_type=data_type, nullable=nullable,
            primary_key=read_bool(data.get("primary_key", False), "primary_key"),
            unique=read_bool(data.get("unique", False), "unique"), default=data.get("default"),
            materialized=data.get("materialized"), alias=data.get("alias"), comment=data.get("comment"),
            codec=data.get("codec"), ttl=data.get("ttl"),
        )

    def decode_type(self, value: Any, what: str) -> DataType:
        """A data type in Moose's encoding; a bad one is a ValueError naming ``what`` and at most a short prefix
        of the value."""
        if not isinstance(value, str | dict):
            raise ValueError(f"{what}: expected a type name or a mapping, got {describe_value(value)}")
        try:
            if isinstance(value, dict):
                _check_type_scalars(value, what)
            return self.types.decode(value, what)
        except ValueError as exc:
            message = str(exc)
            if not message.startswith(what):
                message = f"{what}: {message}"
            head, found, _ = message.partition("unknown data type encoding ")
            if found:  # the decoder shows the whole value; show its kind instead
                shown = describe_value(value) if head == f"{what}: " else "a value it does not know"
                raise ValueError(f"{head}unknown data type encoding: {shown}") from None
            raise ValueError(clip_quoted(message)) from None
        except (TypeError, KeyError, AttributeError, IndexError):
            raise ValueError(f"{what}: malformed data type encoding ({describe_value(value)})") from None
        except RecursionError:
            raise ValueError(f"{what}: the data type is nested too deeply") from None

    @staticmethod
    def _annotations(value: Any) -> dict[str, Any]:
        annotations: dict[str, Any] = {}
        for index, item in enumerate(_optional_list(value, "annotations")):
            if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str):
                raise ValueError(f"annotations[{index}]: expected a [name, value] pair, got {describe_value(item)}")
            annotations[item[0]] = item[1]
        return annotations

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
            "constraints": [_unstructure_constraint(c) for c in table.constraints],
        }
        optional = {"partition_by": table.partition_by, "sample_by": table.sample_by, "database": table.database,
                    "table_ttl_setting": table.ttl, "cluster_name": table.cluster,
                    "primary_key_expression": table.primary_key_expression,
                    "table_settings": mask_settings(table.settings) if table.settings else None}
        result.update({k: v for k, v in optional.items() if v is not None})
        return result

    def _structure_columns(self, value: Any) -> tuple[Column, ...]:
        if not _optional_list(value, "columns"):
            return ()
        try:
            key = marshal.dumps(value)  # equal bytes mean equal data (a few µs, where json.dumps takes 25)
        except ValueError:  # not plain data (a value YAML turned into an object): read it uncached
            return _each(value, "columns", self.structure_column)
        columns = self._column_lists.get(key)
        if columns is None:
            columns = _each(value, "columns", self.structure_column)
            if len(self._column_lists) >= _COLUMN_LISTS_MAX:
                self._column_lists.clear()
            self._column_lists[key] = columns
        return columns

    def _engine(self, value: Any) -> Engine:
        """:func:`structure_engine`, once per distinct value (engines are immutable and may be shared)."""
        key: str | bytes | None
        if value is None or isinstance(value, str):
            key = value
        else:
            try:
                key = marshal.dumps(value)
            except ValueError:  # not plain data: read it uncached
                return structure_engine(value)
        engine = self._engines.get(key)
        if engine is None:
            engine = structure_engine(value)
            if len(self._engines) >= _COLUMN_LISTS_MAX:
                self._engines.clear()
            self._engines[key] = engine
        return engine

    def _metadata(self, value: Any) -> Metadata | None:
        """:meth:`_read_metadata`, once per distinct value (metadata is immutable and may be shared)."""
        if value is None:
            return None
        try:
            key = marshal.dumps(value)
        except ValueError:
            return self._read_metadata(value)
        if key in self._metadata_values:
            return self._metadata_values[key]
        metadata = self._read_metadata(value)
        if len(self._metadata_values) >= _COLUMN_LISTS_MAX:
            self._metadata_values.clear()
        self._metadata_values[key] = metadata
        return metadata

    @staticmethod
    def _read_metadata(value: Any) -> Metadata | None:
        if value is None:
            return None
        data = read_mapping(value, "metadata", frozenset({"description", "source"}))
        return Metadata(description=read_optional_str(data.get("description"), "metadata.description"),
                        source=_source_file(data.get("source")))

    def structure_table(self, value: Any, _: type = Table) -> Table:
        """Read a table in Moose's encoding (hashes and ``source_primitive`` are recomputed, not kept)."""
        data = read_mapping(value, "table", _TABLE_KEYS)
        order_by = data.get("order_by")
        for key in _TABLE_TEXT_KEYS:
            read_optional_str(data.get(key), key)
        return Table(
            name=read_str(_required(data, "name"), "name"),
            columns=self._structure_columns(data.get("columns")),
            engine=self._engine(data.get("engine")),
            order_by=order_by if isinstance(order_by, str) and order_by
            else read_str_list(None if order_by == "" else order_by, "order_by"),
            settings=read_str_map(data.get("table_settings"), "table_settings"),
            indexes=_each(data.get("indexes"), "indexes", _structure_index),
            projections=_each(data.get("projections"), "projections", _structure_projection),
            constraints=_each(data.get("constraints"), "constraints", _structure_constraint),
            life_cycle=read_life_cycle(data.get("life_cycle"), "life_cycle"),
            metadata=self._metadata(data.get("metadata")),
            database=data.get("database"), partition_by=data.get("partition_by"),
            primary_key_expression=data.get("primary_key_expression"), sample_by=data.get("sample_by"),
            ttl=data.get("table_ttl_setting"), version=data.get("version"), cluster=data.get("cluster_name"),
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
        data = read_mapping(value, "view", frozenset({"name", "selectSql", "sourceTables", "database", "metadata"}))
        return View(name=read_str(_required(data, "name"), "name"),
                    select_sql=read_str(_required(data, "selectSql"), "selectSql"),
                    database=read_optional_str(data.get("database"), "database"),
                    source_tables=read_str_list(data.get("sourceTables"), "sourceTables"),
                    metadata=self._metadata(data.get("metadata")))

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
        data = read_mapping(value, "materialized view", frozenset(
            {"name", "selectSql", "sourceTables", "targetTable", "targetDatabase", "database", "lifeCycle",
             "metadata"}))
        return MaterializedView(
            name=read_str(_required(data, "name"), "name"),
            select_sql=read_str(_required(data, "selectSql"), "selectSql"),
            target_table=read_str(_required(data, "targetTable"), "targetTable"),
            database=read_optional_str(data.get("database"), "database"),
            target_database=read_optional_str(data.get("targetDatabase"), "targetDatabase"),
            source_tables=read_str_list(data.get("sourceTables"), "sourceTables"),
            life_cycle=read_life_cycle(data.get("lifeCycle"), "lifeCycle"),
            metadata=self._metadata(data.get("metadata")),
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
        data = read_mapping(value, "topic", frozenset(
            {"name", "version", "partition_count", "retention_period", "max_message_bytes", "columns",
             "source_primitive", "metadata", "life_cycle", "schema_config", "configs"}))
        retention = data.get("retention_period")
        retention_ms = None
        if retention is not None:
            retention = read_mapping(retention, "retention_period", frozenset({"secs", "nanos"}))
            retention_ms = read_int(retention.get("secs", 0), "retention_period.secs") * 1000 + read_int(
                retention.get("nanos", 0), "retention_period.nanos") // 1_000_000
        return Topic(name=read_str(_required(data, "name"), "name"),
                     partitions=read_optional_int(data.get("partition_count"), "partition_count") or 1,
                     retention_ms=retention_ms,
                     max_message_bytes=read_optional_int(data.get("max_message_bytes"), "max_message_bytes"),
                     configs=read_str_map(data.get("configs"), "configs"),
                     version=read_optional_str(data.get("version"), "version"),
                     life_cycle=read_life_cycle(data.get("life_cycle"), "life_cycle"),
                     metadata=self._metadata(data.get("metadata")))

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
        dictionary_keys = file_keys({key: d.name for key, d in infra.dictionaries.items()})
        result["olap_dictionaries"] = {dictionary_keys[key]: d.to_encoding() for key, d in infra.dictionaries.items()}
        result["sql_resources"] = {key: r.to_encoding() for key, r in infra.sql_resources.items()}
        for recorded in infra.recorded.values():  # kept as Moose encodes them (see muskox.model.recorded)
            result[recorded.section][recorded.key] = dict(recorded.value)
        if any(infra.extensions.values()):  # plugins' kinds: only when there are any, so other maps read as before
            result[EXTENSIONS_KEY] = write_extensions(infra.extensions)
        return result

    def structure_infra_map(self, value: Any, _: type = InfraMap) -> InfraMap:
        """Read a map; what muskox only records (APIs, workflows, web apps, dictionaries, SQL resources, tables
        with engines it does not apply yet) is kept as written; Moose's other sections are ignored."""
        data = read_mapping(value, "infrastructure map", None)
        default_database = read_optional_str(data.get("default_database"), "default_database") or "default"
        sections = {section: _section(data, section) for section in {*SECTIONS, "tables", "views",
                                                                      "materialized_views", "topics",
                                                                      "olap_dictionaries", "sql_resources"}}
        recorded: list[RecordedResource] = []
        for section in SECTIONS:
            for key, entry in sections[section].items():
                if section != "tables" or is_recorded_table(entry):
                    recorded.append(_in_entry(section, key, read_recorded, section, key, entry))
        tables: dict[str, Table] = {}
        for file_key, entry in sections["tables"].items():
            if not is_recorded_table(entry):
                table = _in_entry("tables", file_key, self.structure_table, entry)
                key = table_id(table, default_database)
                tables[key] = table
        return InfraMap(
            default_database=default_database,
            tables=tables,
            views=_by_view_id((_in_entry("views", k, self.structure_view, v) for k, v in sections["views"].items()),
                              default_database),
            materialized_views=_by_view_id((_in_entry("materialized_views", k, self.structure_materialized_view, v)
                                            for k, v in sections["materialized_views"].items()),
                                           default_database),
            topics={k: _in_entry("topics", k, self.structure_topic, v) for k, v in sections["topics"].items()},
            recorded=by_map_key(recorded),
            dictionaries={view_id(d.database, d.name, default_database): d for d in (
                _in_entry("olap_dictionaries", k, Dictionary.from_encoding, v)
                for k, v in sections["olap_dictionaries"].items())},
            sql_resources={r.name: r for r in (_in_entry("sql_resources", k, _structure_sql_resource, v)
                                               for k, v in sections["sql_resources"].items())},
            extensions=_structure_extensions(data.get(EXTENSIONS_KEY)),
        )

    # -- the converter -----------------------------------------------------------------------------------

    def _make_converter(self) -> cattrs.Converter:
        conv = cattrs.Converter(forbid_extra_keys=True)
        for kind in (str, bool, int, float):  # scalars are never converted: "false" is not a boolean
            conv.register_structure_hook(kind, _strict_scalar_hook(kind))
        conv.register_structure_hook_factory(_is_list_type, _strict_list_factory)
        conv.register_structure_hook_factory(_is_mapping_type, _strict_mapping_factory)
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
        conv.register_unstructure_hook(Dictionary, lambda d: d.to_encoding())
        conv.register_structure_hook(Dictionary, lambda v, _: Dictionary.from_encoding(
            read_mapping(v, "dictionary", None)))
        conv.register_unstructure_hook(InfraMap, self.unstructure_infra_map)
        conv.register_structure_hook(InfraMap, self.structure_infra_map)
        conv.register_unstructure_hook(LifeCycle, lambda lc: lc.value)
        conv.register_unstructure_hook_func(
            lambda t: t is Metadata, lambda m: {"description": m.description,
                                                "source": None if m.source is None else {"file": m.source.file}})
        conv.register_structure_hook(SourceFile, _source_file)
        conv.register_structure_hook(Metadata, lambda v, _: self._metadata(v))
        conv.register_structure_hook(TableProjection, _structure_projection)
        conv.register_unstructure_hook(TableIndex, lambda i: {
            "name": i.name, "expression": i.expression, "type": i.type, "arguments": list(i.arguments),
            "granularity": i.granularity})
        conv.register_structure_hook(TableIndex, _structure_index)
        conv.register_unstructure_hook(TableConstraint, _unstructure_constraint)
        conv.register_structure_hook(TableConstraint, _structure_constraint)
        conv.register_unstructure_hook(SqlResource, lambda r: r.to_encoding())
        conv.register_structure_hook(SqlResource, _structure_sql_resource)
        return conv


@functools.cache
def model_codec(dialect: TypeText) -> ModelCodec:
    """The codec of ``dialect`` (one per dialect: dialects are immutable, and the codec keeps no answers that
    depend on anything else)."""
    return ModelCodec(dialect)


V = TypeVar("V", View, MaterializedView)


def _section(data: dict[str, Any], section: str) -> dict[str, Any]:
    """A section of an infra map: a mapping of entries that are mappings (null or missing: empty)."""
    value = data.get(section)
    if value is None:
        return {}
    entries = read_mapping(value, section, None)
    for key, entry in entries.items():
        if not isinstance(key, str):
            raise ValueError(f"{section}: keys must be strings, got {describe_value(key)}")
        if not isinstance(entry, dict):
            raise ValueError(f"{section}.{clip(key)}: expected a mapping, got {describe_value(entry)}")
    return entries


def _in_entry(section: str, key: str, read: typing.Callable[..., R], *args: Any) -> R:
    """``read(*args)``, a ValueError naming the entry (``tables.events: …``) when it fails."""
    try:
        return read(*args)
    except ValueError as exc:
        raise ValueError(f"{section}.{clip(key)}: {exc}") from None


def _strict_list_factory(tp: Any, converter: cattrs.Converter) -> Any:
    """Lists and homogeneous tuples: only a list is one (a string is not a list of its characters)."""
    build = list_structure_factory(tp, converter) if typing.get_origin(tp) is list \
        else homogenous_tuple_structure_factory(tp, converter)
    kind = _element_kind(tp)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list{kind}, got {describe_value(value)}")
        return build(value, tp)
    return structure


def _strict_mapping_factory(tp: Any, converter: cattrs.Converter) -> Any:
    """Mappings: only a mapping is one, with string keys when the type says so."""
    build = mapping_structure_factory(tp, converter)
    args = typing.get_args(tp)
    string_keys = bool(args) and args[0] is str

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping, got {describe_value(value)}")
        if string_keys:
            for key in value:
                if not isinstance(key, str):
                    raise ValueError(f"keys must be strings, got {describe_value(key)}")
        return build(value, tp)
    return structure


def _by_view_id(views: Iterable[V], default_database: str) -> dict[str, V]:
    """Views keyed as in an :class:`InfraMap` (the file's keys are Moose's bare names, which may clash)."""
    return {view_id(v.database, v.name, default_database): v for v in views}
