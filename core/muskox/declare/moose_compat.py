"""Moose projects unchanged: while muskox collects a project, ``import moose_lib`` (and every ``moose_lib.…``
module path) gives muskox's compatible API, the package :mod:`muskox.declare.moose_lib`.

:func:`moose_lib_aliased` installs, for the duration of one collection, a meta-path finder that answers every
``moose_lib`` module with the muskox module of the same path; the real moose-lib, when installed, is set aside
for that time (its modules already imported are taken out of ``sys.modules`` and put back afterwards), so the
declarations land in muskox's registry. Outside a collection nothing is changed: ``import moose_lib`` imports
the real library, or fails if it is not installed.

Each module of the compatible package is a thin table of names (:func:`compat_module`); every name is imported
from where muskox defines it on first use. A public name moose-lib 0.6.533 has that muskox lacks stops the
collection with one line naming the name, the place that used it, and what to do.
"""

from __future__ import annotations

import dis
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any

from muskox.declare.errors import DeclarationError

MOOSE = "moose_lib"
COMPAT = "muskox.declare.moose_lib"

_RUNTIME = "muskox.declare.moose_runtime"
_DATA = "muskox.declare.moose_data_models"
_ANNOTATIONS = "muskox.declare.annotations"
_ENGINES = "muskox.declare.engines"
_DICTIONARY = "muskox.declare.dictionary"
_STREAM = "muskox.declare.stream"
DIALECT = "<dialect>"
"""The source of the names the OLAP backend's dialect provides (:meth:`muskox.plugin.dialect.Dialect.moose_api`):
functions that only write that backend's SQL text."""


def _names(module: str, names: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), module)


SOURCES: dict[str, str] = {
    **_names("muskox.declare.olap_config", "OlapConfig"),
    **_names("muskox.declare.olap_table", "OlapTable"),
    **_names("muskox.declare.view", "View ViewConfig"),
    **_names("muskox.declare.materialized_view", "MaterializedView MaterializedViewOptions"),
    **_names(_STREAM, "Stream StreamConfig TransformConfig ConsumerConfig DeadLetterQueue SubjectLatest "
                      "SubjectVersion SchemaById KafkaSchemaConfig TransformEntry ConsumerEntry"),
    **_names("muskox.declare.moose_pydantic", "DeadLetterModel MooseModel MooseModelMeta"),
    **_names("muskox.declare.moose_columns", "Column Cols Columns ColsNamespace"),
    **_names("muskox.declare.ingest", "IngestConfig IngestConfigWithDestination IngestApi IngestPipelineConfig "
                                      "IngestPipeline"),
    **_names("muskox.declare.api", "ApiConfig Api ConsumptionApi EgressConfig get_moose_base_url "
                                   "set_moose_base_url"),
    **_names("muskox.declare.sql_resource", "SqlResource"),
    **_names("muskox.declare.workflow", "TaskContext TaskConfig Task WorkflowConfig Workflow TaskRunFunc"),
    **_names("muskox.declare.web_app", "WebApp WebAppConfig WebAppMetadata"),
    **_names("muskox.model.table", "LifeCycle"),
    **_names("muskox.declare.typed", "BaseTypedResource TypedMooseResource T U T_none U_none ZeroOrMany"),
    **_names("muskox.declare.location", "get_source_file_from_stack"),
    **_names("muskox.declare.moose_registry", "get_tables get_table get_streams get_stream get_ingest_apis "
                                              "get_ingest_api get_apis get_api get_sql_resources get_sql_resource "
                                              "get_workflows get_workflow get_web_apps get_web_app "
                                              "get_materialized_views get_materialized_view get_views get_view "
                                              "get_olap_dictionaries get_olap_dictionary get_consumption_apis "
                                              "get_consumption_api"),
    **_names(_DICTIONARY, "DictionaryColumn DictionaryLifetime DictionaryInvalidation FlatLayout HashedLayout "
                          "SparseHashedLayout HashedArrayLayout RangeHashedLayout CacheLayout SsdCacheLayout "
                          "DirectLayout IpTrieLayout ComplexKeyHashedLayout ComplexKeySparseHashedLayout "
                          "ComplexKeyHashedArrayLayout ComplexKeyCacheLayout ComplexKeySsdCacheLayout "
                          "ComplexKeyDirectLayout DictionaryLayout HttpSource ClickHouseRemoteSource MysqlSource "
                          "PostgresqlSource RedisSource MongoDbSource ExecutableSource S3Source ExternalSource "
                          "OlapDictionaryConfig OlapDictionary"),
    **_names(_ENGINES, "EngineConfig MergeTreeEngine ReplacingMergeTreeEngine AggregatingMergeTreeEngine "
                       "SummingMergeTreeEngine CollapsingMergeTreeEngine VersionedCollapsingMergeTreeEngine "
                       "ReplicatedMergeTreeEngine ReplicatedReplacingMergeTreeEngine "
                       "ReplicatedAggregatingMergeTreeEngine ReplicatedSummingMergeTreeEngine "
                       "ReplicatedCollapsingMergeTreeEngine ReplicatedVersionedCollapsingMergeTreeEngine "
                       "S3QueueEngine S3Engine BufferEngine DistributedEngine IcebergS3Engine KafkaEngine "
                       "MergeEngine ClickHouseEngines"),
    **_names("muskox.declare.moose_blocks", "TableConfig S3QueueEngineConfig TableCreateOptions "
                                            "AggregationCreateOptions AggregationDropOptions "
                                            "MaterializedViewCreateOptions PopulateTableOptions Blocks "
                                            "is_new_config migrate_legacy_config normalize_config"),
    **_names(DIALECT, "drop_table drop_view drop_aggregation create_table create_materialized_view populate_table "
                      "create_aggregation clickhouse_param_type_for_value"),
    **_names(_ANNOTATIONS, "Key JWT Int8 Int16 Int32 Int64 UInt8 UInt16 UInt32 UInt64 Float32 Float64 "
                           "ClickhousePrecision ClickhouseSize ClickhouseFixedStringSize ClickhouseDefault "
                           "clickhouse_default ClickHouseTTL ClickHouseCodec ClickHouseMaterialized ClickHouseAlias "
                           "ClickHouseJson clickhouse_decimal clickhouse_datetime64 FixedString Point Ring "
                           "LineString MultiLineString Polygon MultiPolygon aggregated AggregateFunction "
                           "simple_aggregated SimpleAggregateFunction"),
    **_names(_DATA, "EnumValue DataEnum Nested ArrayType NamedTupleType MapType JsonOptions DataType "
                    "py_type_to_column_type handle_annotation handle_optional handle_key handle_jwt "
                    "json_annotation_to_type enum_value_serializer is_array_nested_type is_nested_type "
                    "StringToEnumMixin"),
    **_names(_RUNTIME, "InsertOptions FailedRecord ValidationError ValidationResult InsertResult Logger CliLogData "
                       "cli_log EnhancedJSONEncoder get_kafka_consumer get_kafka_producer moose_management_port "
                       "RuntimeClickHouseConfig RuntimeKafkaConfig ConfigurationRegistry config_registry "
                       "ClickHouseConfig KafkaConfig ProjectConfig find_config_file read_project_config ApiResult "
                       "ConsumptionApiResult JWTPayload QueryClient WorkflowClient MooseClient MooseCache ApiUtil "
                       "get_moose_utils get_moose_dependency StreamingFunction StorageConfig DataModelConfig "
                       "moose_data_model sigterm_handler Sql CustomEncoder ColumnRef Predicate OrderDirection "
                       "OrderExpr OrderItem Params Query col to_column and_ or_ "
                       "get MooseRuntimeEnv moose_runtime_env MooseEnvSecrets moose_env_secrets "
                       "MOOSE_RUNTIME_ENV_PREFIX MOOSE_ENV_SECRET_PREFIX StructuredLogContext "
                       "setup_structured_logging"),
    "quote_identifier": "muskox.declare.registry",
}
"""Every name of the compatible API → the muskox module that defines it."""

FOREIGN: dict[str, str] = {
    **{n: f"typing:{n}" for n in ("Annotated", "Any", "Callable", "Dict", "List", "Literal", "Optional", "Tuple",
                                  "Type", "TypeVar", "Union", "get_args", "get_origin", "overload",
                                  "TypeAliasType")},
    "ABC": "abc:ABC", "Decimal": "decimal:Decimal", "Enum": "enum:Enum", "Formatter": "string:Formatter",
    "GenericAlias": "types:GenericAlias", "UUID": "uuid:UUID", "asdict": "dataclasses:asdict",
    "dataclass": "dataclasses:dataclass", "field": "dataclasses:field", "date": "datetime:date",
    "datetime": "datetime:datetime", "timedelta": "datetime:timedelta", "timezone": "datetime:timezone",
    "isclass": "inspect:isclass", "perf_counter": "time:perf_counter",
    "BaseModel": "pydantic:BaseModel", "ConfigDict": "pydantic:ConfigDict", "Field": "pydantic:Field",
    "PlainSerializer": "pydantic:PlainSerializer", "GetCoreSchemaHandler": "pydantic:GetCoreSchemaHandler",
    "CoreSchema": "pydantic_core:CoreSchema",
    "ClickhouseClient": "clickhouse_connect.driver.client:Client", "get_client": "clickhouse_connect:get_client",
    "KafkaConsumer": "kafka:KafkaConsumer", "KafkaProducer": "kafka:KafkaProducer",
    "TemporalClient": "temporalio.client:Client", "RetryPolicy": "temporalio.common:RetryPolicy",
    "WorkflowIDConflictPolicy": "temporalio.common:WorkflowIDConflictPolicy",
    "WorkflowIDReusePolicy": "temporalio.common:WorkflowIDReusePolicy", "TLSConfig": "temporalio.service:TLSConfig",
    "format_timespan": "humanfriendly:format_timespan",
}
"""Names ``moose_lib`` itself only re-exports from the standard library or other packages (``module:attribute``);
the top-level compatible module resolves them from the same place."""


class MooseNameMissing(DeclarationError):
    """A ``moose_lib`` name or module muskox does not provide."""


class MooseImportMissing(MooseNameMissing, ImportError):
    """Raised by ``from moose_lib import X`` and ``import moose_lib.x``: an ``ImportError``, so a project's
    ``try: … except ImportError`` still works."""


class MooseAttributeMissing(MooseNameMissing, AttributeError):
    """Raised by ``moose_lib.X``, ``getattr`` and ``hasattr``: an ``AttributeError``, so ``hasattr`` answers False."""


def _missing(what: str, fix: str, *, importing: bool = True) -> MooseNameMissing:
    from muskox.declare.location import caller_location, prefix
    from muskox.declare.registry import display_base

    kind = MooseImportMissing if importing else MooseAttributeMissing
    error = kind(f"{prefix(caller_location(), display_base())}{what}", fix)
    error.placed = True
    return error


def _importing(frame: FrameType | None) -> bool:
    """True when ``frame`` is running ``from module import name`` (the interpreter asks the module's
    ``__getattr__`` then; ``hasattr`` and attribute reads ask it too, and must get an ``AttributeError``)."""
    if frame is None:
        return False
    return dis.opname[frame.f_code.co_code[frame.f_lasti]] == "IMPORT_FROM"


def compat_module(module_name: str, names: Iterable[str], *, foreign: bool = False) -> None:
    """Make ``module_name`` (a module of :mod:`muskox.declare.moose_lib`) export ``names``, each imported from
    :data:`SOURCES` on first use; with ``foreign``, also moose-lib's re-exports (:data:`FOREIGN`)."""
    module = sys.modules[module_name]
    exported = sorted(set(names))
    unknown = [n for n in exported if n not in SOURCES]
    if unknown:
        raise RuntimeError(f"{module_name}: no source for {', '.join(unknown)}")
    moose_path = MOOSE + module_name[len(COMPAT):]
    available = set(exported)

    def attribute(name: str) -> Any:
        if name in available and SOURCES[name] == DIALECT:
            return _from_dialect(moose_path, name, _importing(sys._getframe(1)))  # not kept: the dialect decides
        if name in available:
            value = getattr(importlib.import_module(SOURCES[name]), name)
        elif foreign and name in FOREIGN:
            value = _foreign(moose_path, name, _importing(sys._getframe(1)))
        elif name.startswith("_"):
            raise AttributeError(f"module {moose_path!r} has no attribute {name!r}")
        else:
            raise _missing(f"{moose_path}.{name} is not provided by muskox, which follows moose-lib 0.6.533",
                           f"use a name moose-lib 0.6.533 has, or import {name} only in modules muskox does not "
                           "import (the application's, not the declarations')", importing=_importing(sys._getframe(1)))
        setattr(module, name, value)
        return value

    module.__getattr__ = attribute  # type: ignore[method-assign]
    module.__dir__ = lambda: sorted(set(vars(module)) | available)  # type: ignore[method-assign]
    module.__all__ = [*exported, *(sorted(FOREIGN) if foreign else [])]  # type: ignore[attr-defined]


def _from_dialect(moose_path: str, name: str, importing: bool) -> Any:
    from muskox.declare.registry import declaring_dialect

    dialect = declaring_dialect()
    function = dialect.moose_api().get(name)
    if function is None:
        raise _missing(f"{moose_path}.{name} writes SQL, and the {dialect.name} backend does not provide it",
                       f"build the SQL text in the project instead of calling {name}", importing=importing)
    return function


def _foreign(moose_path: str, name: str, importing: bool) -> Any:
    module_name, attribute = FOREIGN[name].split(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        raise _missing(f"{moose_path}.{name} is {module_name}'s {attribute}, which is not available here",
                       f"install {module_name.split('.')[0]} (moose-lib depends on it), or import it from "
                       f"{module_name} where the application needs it", importing=importing) from None


class MooseLibAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``moose_lib`` and ``moose_lib.<path>`` with :mod:`muskox.declare.moose_lib`'s modules."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        """A spec for every ``moose_lib`` module; None for anything else."""
        if fullname != MOOSE and not fullname.startswith(MOOSE + "."):
            return None
        compat_name = COMPAT + fullname[len(MOOSE):]
        try:
            module = importlib.import_module(compat_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and compat_name.startswith(exc.name):
                raise _missing(f"the module {fullname} is not provided by muskox, which follows moose-lib "
                               "0.6.533", "import the names from moose_lib or moose_lib.dmv2, or import this "
                               "module only in modules muskox does not import") from None
            raise
        spec = importlib.util.spec_from_loader(fullname, self, is_package=hasattr(module, "__path__"))
        if spec is not None:
            spec.loader_state = module
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        """The muskox module itself (so both names are one module)."""
        module = spec.loader_state
        return module if isinstance(module, ModuleType) else None

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is already imported."""


def _is_moose(name: str) -> bool:
    return name == MOOSE or name.startswith(MOOSE + ".")


@contextmanager
def moose_lib_aliased() -> Iterator[None]:
    """Within the block, ``moose_lib`` is muskox's compatible API; afterwards everything is as before."""
    saved = {name: module for name, module in sys.modules.items() if _is_moose(name)}
    for name in saved:
        del sys.modules[name]
    finder = MooseLibAlias()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _is_moose(n)]:
            del sys.modules[name]
        sys.modules.update(saved)
