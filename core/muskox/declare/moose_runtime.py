"""The parts of Moose's library that only mean something in the running application: loggers, clients, the
query builder, the registries' run-time helpers, secrets resolved at run time.

A Moose project imports them at the top of its modules (``from moose_lib import Logger, MooseClient``), and
uses most of them inside API handlers, consumers and workflow tasks, which muskox never calls. So here they
import and construct without touching anything: loggers write to Python's ``logging`` at debug level (never to
stdout, which ``--json`` output owns), and what would reach a server (a query, an insert, a cache read) stops
with one error naming the call and where it was made.
"""

from __future__ import annotations

import dataclasses
import datetime as _datetime
import enum
import json
import logging
import os
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import attrs

from muskox.declare.location import runtime_only

T = TypeVar("T")

_LOG = logging.getLogger("muskox.moose_lib")

moose_management_port = int(os.environ.get("MOOSE_MANAGEMENT_PORT", "5001"))
"""The port of the Moose runtime's management server (read from ``MOOSE_MANAGEMENT_PORT``, as Moose does)."""

# -- logging --------------------------------------------------------------------------------------------


class CliLogData:
    """A message for the Moose CLI's log (``message_type`` is one of the class constants)."""

    INFO = "Info"
    SUCCESS = "Success"
    ERROR = "Error"
    WARNING = "Warning"
    HIGHLIGHT = "Highlight"

    def __init__(self, action: str, message: str, message_type: str | None = INFO) -> None:
        self.action = action
        self.message = message
        self.message_type = message_type


def cli_log(log: CliLogData) -> None:
    """Log a message; during collection it goes to the ``muskox.moose_lib`` logger at debug level."""
    _LOG.debug("%s [%s]: %s", log.action, log.message_type, log.message)


class Logger:
    """A logger for project code: ``Logger(action="Ingest").info("...")``."""

    default_action = "Custom"

    def __init__(self, action: str | None = None, is_moose_task: bool = False) -> None:
        self.action = action or Logger.default_action
        self._is_moose_task = is_moose_task

    def info(self, message: str) -> None:
        """Log at info level."""
        cli_log(CliLogData(self.action, message, CliLogData.INFO))

    def success(self, message: str) -> None:
        """Log a success."""
        cli_log(CliLogData(self.action, message, CliLogData.SUCCESS))

    def error(self, message: str) -> None:
        """Log an error."""
        cli_log(CliLogData(self.action, message, CliLogData.ERROR))

    def warning(self, message: str) -> None:
        """Log a warning."""
        cli_log(CliLogData(self.action, message, CliLogData.WARNING))

    def highlight(self, message: str) -> None:
        """Log a message to be noticed."""
        cli_log(CliLogData(self.action, message, CliLogData.HIGHLIGHT))


class StructuredLogContext:
    """Moose's per-request log context; a no-op during collection."""

    def __init__(self, get_context_field: Callable[[], Any], context_field_name: str) -> None:
        self.get_context_field = get_context_field
        self.context_field_name = context_field_name

    def log(self, *args: Any, **kwargs: Any) -> None:
        """Does nothing during collection."""

    def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``function``."""
        return function(*args, **kwargs)


def setup_structured_logging(get_context_field: Callable[[], Any], context_field_name: str) -> StructuredLogContext:
    """Moose's structured-logging set-up; during collection nothing is installed."""
    return StructuredLogContext(get_context_field, context_field_name)


class EnhancedJSONEncoder(json.JSONEncoder):
    """JSON that also writes dataclasses, attrs and pydantic objects, dates and enums."""

    def default(self, o: Any) -> Any:
        """The JSON form of values ``json`` does not know."""
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        if attrs.has(type(o)):
            return attrs.asdict(o)
        if hasattr(o, "model_dump"):
            return o.model_dump()
        if isinstance(o, _datetime.datetime | _datetime.date):
            return o.isoformat()
        if isinstance(o, enum.Enum):
            return o.value
        return super().default(o)


class CustomEncoder(json.JSONEncoder):
    """JSON that writes enums by their value."""

    def default(self, o: Any) -> Any:
        """Enums by value."""
        if isinstance(o, enum.Enum):
            return o.value
        return super().default(o)


def get_kafka_consumer(*, broker: Any, client_id: str, group_id: str, sasl_username: str | None = None,
                       sasl_password: str | None = None, sasl_mechanism: str | None = None,
                       security_protocol: str | None = None,
                       value_deserializer: Callable[[bytes], Any] = lambda value: json.loads(value.decode()),
                       **extra_kwargs: Any) -> Any:
    """Opens a Kafka consumer at run time; not available while muskox collects the declarations."""
    raise runtime_only("get_kafka_consumer()")


def get_kafka_producer(*, broker: Any, sasl_username: str | None = None, sasl_password: str | None = None,
                       sasl_mechanism: str | None = None, security_protocol: str | None = None,
                       max_request_size: int | None = None, value_serializer: Callable[[Any], bytes] | None = None,
                       **extra_kwargs: Any) -> Any:
    """Opens a Kafka producer at run time; not available while muskox collects the declarations."""
    raise runtime_only("get_kafka_producer()")


# -- run-time configuration and secrets ------------------------------------------------------------------

MOOSE_RUNTIME_ENV_PREFIX = "__MOOSE_RUNTIME_ENV__:"
"""What a value resolved from the environment at run time starts with in the declarations."""


def get(env_var_name: str) -> str:
    """A value to be read from the environment variable ``env_var_name`` when the application runs: while the
    declarations are read (by Moose or muskox) it is the marker ``__MOOSE_RUNTIME_ENV__:<NAME>``, so credentials
    never end up in plan files."""
    if not env_var_name or not env_var_name.strip():
        raise ValueError("Environment variable name cannot be empty")
    return MOOSE_RUNTIME_ENV_PREFIX + env_var_name


class MooseRuntimeEnv:
    """``moose_runtime_env.get("AWS_SECRET_ACCESS_KEY")``: see :func:`get`."""

    @staticmethod
    def get(env_var_name: str) -> str:
        """See :func:`get`."""
        return get(env_var_name)


moose_runtime_env = MooseRuntimeEnv()
MooseEnvSecrets = MooseRuntimeEnv
"""Deprecated name of :class:`MooseRuntimeEnv`."""
moose_env_secrets = moose_runtime_env
"""Deprecated name of ``moose_runtime_env``."""
MOOSE_ENV_SECRET_PREFIX = MOOSE_RUNTIME_ENV_PREFIX


@attrs.define
class RuntimeClickHouseConfig:
    """The ClickHouse connection the Moose runtime gives the application."""

    host: str
    port: str
    username: str
    password: str
    database: str
    use_ssl: bool


@attrs.define
class RuntimeKafkaConfig:
    """The Kafka connection the Moose runtime gives the application."""

    broker: str
    message_timeout_ms: int
    sasl_username: str | None
    sasl_password: str | None
    sasl_mechanism: str | None
    security_protocol: str | None
    namespace: str | None
    schema_registry_url: str | None


class ConfigurationRegistry:
    """The run-time connection settings; empty while muskox collects the declarations."""

    _instance: ConfigurationRegistry | None = None

    def __init__(self) -> None:
        self._clickhouse: RuntimeClickHouseConfig | None = None
        self._kafka: RuntimeKafkaConfig | None = None

    @classmethod
    def get_instance(cls) -> ConfigurationRegistry:
        """The one registry."""
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def set_clickhouse_config(self, config: RuntimeClickHouseConfig) -> None:
        """Remember the ClickHouse settings."""
        self._clickhouse = config

    def set_kafka_config(self, config: RuntimeKafkaConfig) -> None:
        """Remember the Kafka settings."""
        self._kafka = config

    def has_runtime_config(self) -> bool:
        """True once settings were given."""
        return self._clickhouse is not None or self._kafka is not None

    def get_clickhouse_config(self) -> RuntimeClickHouseConfig:
        """The ClickHouse settings; there are none while muskox collects the declarations."""
        if self._clickhouse is None:
            raise runtime_only("config_registry.get_clickhouse_config()")
        return self._clickhouse

    def get_kafka_config(self) -> RuntimeKafkaConfig:
        """The Kafka settings; there are none while muskox collects the declarations."""
        if self._kafka is None:
            raise runtime_only("config_registry.get_kafka_config()")
        return self._kafka


config_registry = ConfigurationRegistry.get_instance()


@attrs.define
class ClickHouseConfig:
    """``[clickhouse_config]`` of ``moose.config.toml`` as the Moose library reads it."""

    host: str
    host_port: int
    user: str
    password: str
    db_name: str
    use_ssl: bool = False
    native_port: int | None = None


@attrs.define
class KafkaConfig:
    """``[redpanda_config]`` of ``moose.config.toml`` as the Moose library reads it."""

    broker: str
    message_timeout_ms: int
    sasl_username: str | None = None
    sasl_password: str | None = None
    sasl_mechanism: str | None = None
    security_protocol: str | None = None
    namespace: str | None = None
    schema_registry_url: str | None = None


@attrs.define
class ProjectConfig:
    """``moose.config.toml`` as the Moose library reads it."""

    language: str
    clickhouse_config: ClickHouseConfig
    kafka_config: KafkaConfig | None = None


def find_config_file(start_dir: str = ".") -> str | None:
    """The nearest ``moose.config.toml`` at or above ``start_dir``."""
    from pathlib import Path

    for directory in [Path(start_dir).resolve(), *Path(start_dir).resolve().parents]:
        if (directory / "moose.config.toml").is_file():
            return str(directory / "moose.config.toml")
    return None


def read_project_config() -> ProjectConfig:
    """Reads the project's configuration for the application; muskox reads it itself (``muskox config``)."""
    raise runtime_only("read_project_config()")


# -- clients --------------------------------------------------------------------------------------------


@attrs.define
class ApiResult:
    """An API handler's answer: HTTP ``status`` and ``body``."""

    status: int
    body: Any


ConsumptionApiResult = ApiResult
"""Deprecated name of :class:`ApiResult`."""
JWTPayload = dict[str, Any]


class QueryClient:
    """Runs queries for API handlers; while muskox collects there is no database to ask."""

    def __init__(self, ch_client_or_config: Any) -> None:
        self.ch_client = ch_client_or_config

    def __call__(self, input: Any, variables: Any) -> Any:
        return self.execute(input, variables)

    def execute(self, input: Any, variables: Any = None, row_type: Any = None) -> Any:
        """Runs a query at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseClient.query.execute()")

    def execute_raw(self, clickhouse_query: str, parameters: Any, row_type: Any = None) -> Any:
        """Runs a query at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseClient.query.execute_raw()")

    def close(self) -> None:
        """Nothing to close."""


class WorkflowClient:
    """Starts workflows for API handlers; while muskox collects there is no orchestrator."""

    def __init__(self, temporal_client: Any) -> None:
        self.temporal_client = temporal_client

    def execute(self, name: str, input_data: Any) -> Any:
        """Starts a workflow at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseClient.workflow.execute()")

    def terminate(self, workflow_id: str) -> Any:
        """Stops a workflow at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseClient.workflow.terminate()")

    def parse_timeout_to_timedelta(self, timeout_str: str) -> _datetime.timedelta | None:
        """``"never"`` → None, ``"2h"``/``"30m"``/``"10s"`` → the duration."""
        if timeout_str == "never":
            return None
        units = {"h": "hours", "m": "minutes", "s": "seconds"}
        if timeout_str[-1:] not in units:
            raise ValueError(f"Unsupported timeout format: {timeout_str}")
        return _datetime.timedelta(**{units[timeout_str[-1]]: int(timeout_str[:-1])})


class MooseClient:
    """What API handlers get: ``client.query`` and ``client.workflow``."""

    def __init__(self, ch_client: Any, temporal_client: Any = None) -> None:
        self.query = QueryClient(ch_client)
        self.temporal_client = temporal_client
        self.workflow = WorkflowClient(temporal_client) if temporal_client else None

    async def cleanup(self) -> None:
        """Nothing to clean up."""


class MooseCache:
    """Moose's Redis cache for the application; while muskox collects there is no cache."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        """Reads the cache at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseCache.get()")

    def set(self, *args: Any, **kwargs: Any) -> Any:
        """Writes the cache at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseCache.set()")

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Writes the cache at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseCache.delete()")

    def clear(self, *args: Any, **kwargs: Any) -> Any:
        """Writes the cache at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseCache.clear()")

    def clear_keys(self, *args: Any, **kwargs: Any) -> Any:
        """Writes the cache at run time; not available while muskox collects the declarations."""
        raise runtime_only("MooseCache.clear_keys()")

    def disconnect(self) -> None:
        """Nothing to disconnect."""


@attrs.define
class ApiUtil:
    """What ``get_moose_utils(request)`` gives a web app's handler: the client, the ``sql`` helper and the JWT."""

    client: Any
    sql: Any
    jwt: Any = None


def get_moose_utils(request: Any) -> ApiUtil:
    """A web app's Moose utilities for ``request``; only in the running application."""
    raise runtime_only("get_moose_utils()")


def get_moose_dependency() -> Callable[..., ApiUtil]:
    """A FastAPI dependency giving the Moose utilities (``Depends(get_moose_dependency())``): made now, usable
    only in the running application."""

    def moose_utils(request: Any = None) -> ApiUtil:
        raise runtime_only("the Moose utilities dependency")

    return moose_utils


# -- legacy data-model decorator, streaming functions, SQL templates -------------------------------------


@attrs.define
class StreamingFunction:
    """Moose's first streaming-function wrapper."""

    run: Callable[..., Any]


@attrs.define
class StorageConfig:
    """Moose's first data-model storage options."""

    enabled: bool | None = None
    order_by_fields: list[str] | None = None
    deduplicate: bool | None = None


@attrs.define
class DataModelConfig:
    """Moose's first data-model options."""

    storage: StorageConfig | None = None


def moose_data_model(arg: Any = None) -> Any:
    """Moose's first data-model decorator (``@moose_data_model`` or ``@moose_data_model(DataModelConfig(...))``):
    declares nothing (declare an ``OlapTable`` or ``IngestPipeline``); the class is returned unchanged."""
    if isinstance(arg, type):
        return arg
    return lambda cls: cls


def sigterm_handler() -> None:
    """The Moose runtime's SIGTERM handler; during collection it does nothing."""


class Sql:
    """A SQL template with values between its fragments (``strings`` has one more element than ``values``);
    nested ``Sql`` values are flattened into their parent."""

    def __init__(self, raw_strings: list[str], raw_values: list[Any]) -> None:
        if not raw_strings:
            raise TypeError("Expected at least 1 string")
        if len(raw_strings) - 1 != len(raw_values):
            raise TypeError(f"Expected {len(raw_strings)} strings to have {len(raw_strings) - 1} values")
        self.strings: list[str] = [raw_strings[0]]
        self.values: list[Any] = []
        for value, text in zip(raw_values, raw_strings[1:], strict=True):
            if isinstance(value, Sql):
                self.strings[-1] += value.strings[0]
                for inner_value, inner_text in zip(value.values, value.strings[1:], strict=True):
                    self.values.append(inner_value)
                    self.strings.append(inner_text)
                self.strings[-1] += text
            else:
                self.values.append(value)
                self.strings.append(text)


# -- the query builder (built in handlers; only its SQL needs the running application) -------------------


class _Expression:
    """A query-builder expression; combining expressions works, turning them into SQL needs the application."""

    def __init__(self, *parts: Any) -> None:
        self.parts = parts

    def _combine(self, operator: str, other: Any) -> Predicate:
        return Predicate(operator, self, other)


class ColumnRef(_Expression):
    """A column in a query: ``col(table.cols.id).eq(3)``."""

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.column = column

    def eq(self, value: Any) -> Predicate:
        """``column = value``."""
        return self._combine("=", value)

    def ne(self, value: Any) -> Predicate:
        """``column != value``."""
        return self._combine("!=", value)

    def lt(self, value: Any) -> Predicate:
        """``column < value``."""
        return self._combine("<", value)

    def le(self, value: Any) -> Predicate:
        """``column <= value``."""
        return self._combine("<=", value)

    def gt(self, value: Any) -> Predicate:
        """``column > value``."""
        return self._combine(">", value)

    def ge(self, value: Any) -> Predicate:
        """``column >= value``."""
        return self._combine(">=", value)

    def in_(self, values: Any) -> Predicate:
        """``column IN values``."""
        return self._combine("IN", values)

    def is_null(self) -> Predicate:
        """``column IS NULL``."""
        return self._combine("IS NULL", None)


class Predicate(_Expression):
    """A condition in a query."""


OrderDirection = Literal["ASC", "DESC"]
OrderExpr = Any
OrderItem = Any


class Params:
    """Bound query parameters."""

    def bind(self, *args: Any, **kwargs: Any) -> Params:
        """Bind values."""
        return self


class Query:
    """A query under construction: ``Query().select(...).from_(table).where(...)``."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, tuple[Any, ...]]] = []

    def _add(self, clause: str, *args: Any) -> Query:
        self.parts.append((clause, args))
        return self

    def select(self, *columns: Any) -> Query:
        """Add output columns."""
        return self._add("SELECT", *columns)

    def from_(self, table: Any) -> Query:
        """Read from ``table``."""
        return self._add("FROM", table)

    def where(self, *predicates: Any) -> Query:
        """Add conditions."""
        return self._add("WHERE", *predicates)

    def order_by(self, *items: Any) -> Query:
        """Add an ordering."""
        return self._add("ORDER BY", *items)

    def limit(self, count: int) -> Query:
        """Limit the rows."""
        return self._add("LIMIT", count)

    def to_sql(self) -> str:
        """Renders the query for the application; not available while muskox collects the declarations."""
        raise runtime_only("Query.to_sql()")

    def to_sql_and_params(self) -> tuple[str, dict[str, Any]]:
        """Renders the query for the application; not available while muskox collects the declarations."""
        raise runtime_only("Query.to_sql_and_params()")


def col(column: Any) -> ColumnRef:
    """A column of a query."""
    return ColumnRef(column)


def to_column(col: Any, table_name: str | None = None) -> ColumnRef:
    """A column (of ``table_name``) of a query."""
    return ColumnRef(col)


def and_(*predicates_or_exprs: Any) -> Predicate:
    """All of the conditions."""
    return Predicate("AND", *predicates_or_exprs)


def or_(*predicates_or_exprs: Any) -> Predicate:
    """Any of the conditions."""
    return Predicate("OR", *predicates_or_exprs)


# -- results of inserts (the application's) -----------------------------------------------------------


@attrs.define
class InsertOptions:
    """How ``OlapTable.insert`` treats bad records (``strategy``: fail-fast, discard or isolate)."""

    allow_errors: int | None = None
    allow_errors_ratio: float | None = None
    strategy: str = "fail-fast"
    validate: bool = True
    skip_validation_on_retry: bool = False


@attrs.define
class FailedRecord:
    """A record an insert could not write."""

    record: Any
    error: str
    index: int | None = None


@attrs.define
class ValidationError:
    """A record that failed validation."""

    record: Any
    error: str
    index: int | None = None
    path: str | None = None


@attrs.define
class ValidationResult:
    """Valid and invalid records of a batch."""

    valid: list[Any]
    invalid: list[ValidationError]
    total: int


@attrs.define
class InsertResult:
    """What an insert wrote."""

    successful: int
    failed: int
    total: int
    failed_records: list[FailedRecord] | None = None

