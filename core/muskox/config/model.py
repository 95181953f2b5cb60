"""The typed configuration: one frozen attrs class per section of ``muskox.toml`` / ``moose.config.toml``.

Field metadata: ``secret=True`` marks values masked in ``muskox config show``; ``doc`` is the one-line
description shown in the README's configuration table and in ``muskox config show --json``.
"""

from __future__ import annotations

from typing import Any

import attrs

IGNORE_OPERATION_NAMES = (
    "ModifyTableTtl",
    "ModifyColumnTtl",
    "ModifyPartitionBy",
    "IgnoreStringLowCardinalityDifferences",
)


def _field(default: Any, doc: str, *, secret: bool = False, validator: Any = None) -> Any:
    if isinstance(default, (list, dict)):
        factory = type(default)
        return attrs.field(factory=factory, metadata={"doc": doc, "secret": secret})
    return attrs.field(default=default, metadata={"doc": doc, "secret": secret}, validator=validator)


def _in_range(low: int, high: int) -> Any:
    """A validator: the integer is in ``low..high`` (the message names the key and the range)."""

    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if not low <= value <= high:
            raise ValueError(f"{attribute.name} must be in {low}..{high}, not {value}")

    return check


def _one_of(choices: tuple[str, ...]) -> Any:
    """A validator: the text is one of ``choices`` (the message names the key and the choices)."""

    def check(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be {' or '.join(map(repr, choices))}, not {value!r}")

    return check


PORT = _in_range(1, 65535)
#: ``ddl`` of a cluster: ``ON CLUSTER`` statements (distributed DDL), or muskox running each one on every node.
CLUSTER_DDL_MODES = ("on_cluster", "per_node")
#: Large enough for any real setting, small enough that no arithmetic on it overflows a timer.
MAX_SECONDS = 366 * 24 * 3600


@attrs.frozen(kw_only=True)
class ProjectConfig:
    """``[project]``: where the declarations live (a top-level ``source_dir = "…"``, as Moose writes it, also works)."""

    source_dir: str = _field("app", "directory of the project's Python code, relative to the project")
    main_module: str = _field("main.py", "file inside source_dir whose import declares every resource")


@attrs.frozen(kw_only=True)
class ClusterConfig:
    """One ``[[clickhouse_config.clusters]]`` entry: a cluster tables may name in ``cluster``."""

    name: str = _field("", "cluster name as known to the ClickHouse server")
    ddl: str = _field("on_cluster", "how DDL reaches its nodes: `on_cluster` (one distributed statement) or `per_node`",
                      validator=_one_of(CLUSTER_DDL_MODES))
    nodes: list[str] = _field([], "`per_node`: the nodes' URLs (default: read from system.clusters)", secret=True)


@attrs.frozen(kw_only=True)
class ClickHouseConfig:
    """``[clickhouse_config]``: the ClickHouse server to plan against and migrate."""

    url: str | None = _field(
        None, "full connection URL (http://, https://, clickhouse://); overrides host, ports and user", secret=True
    )
    db_name: str = _field("local", "the primary database; state tables live here")
    user: str = _field("default", "user name")
    password: str = _field("", "password", secret=True)
    use_ssl: bool = _field(False, "connect with TLS")
    host: str = _field("localhost", "server host name")
    host_port: int = _field(18123, "HTTP port")
    native_port: int = _field(19000, "native-protocol port")
    additional_databases: list[str] = _field([], "other databases that declared tables may live in")
    clusters: list[ClusterConfig] = _field([], "clusters tables may name in `cluster`")
    host_data_path: str | None = _field(None, "accepted for Moose compatibility; unused")


@attrs.frozen(kw_only=True)
class RedpandaConfig:
    """``[redpanda_config]`` (alias ``[kafka_config]``): the Kafka-protocol broker holding the topics."""

    url: str | None = _field(
        None, "Kafka URL (kafka://user:pass@host:port, kafka+ssl://…); overrides broker and the sasl_* keys",
        secret=True,
    )
    broker: str = _field("localhost:19092", "bootstrap servers, comma-separated host:port")
    message_timeout_ms: int = _field(1000, "producer message timeout",
                                     validator=_in_range(1, MAX_SECONDS * 1000))
    retention_ms: int = _field(30000, "default retention of topics that declare none")
    replication_factor: int = _field(1, "replication factor of created topics", validator=_in_range(1, 1000))
    sasl_username: str | None = _field(None, "SASL user name")
    sasl_password: str | None = _field(None, "SASL password", secret=True)
    sasl_mechanism: str | None = _field(None, "SASL mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
    security_protocol: str | None = _field(None, "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    namespace: str | None = _field(None, "prefix of physical topic names (`<namespace>.<topic>`)")
    schema_registry_url: str | None = _field(None, "schema registry URL", secret=True)


@attrs.frozen(kw_only=True)
class RedisConfig:
    """``[redis_config]``: the Redis server of the ``redis`` state store."""

    url: str = _field("redis://127.0.0.1:6379", "Redis URL", secret=True)
    key_prefix: str = _field("MS", "prefix of every key written (`<prefix>::…`)")
    last_key_prefix: str = _field("MS", "prefix the previous deployment wrote; state is read from it as fallback")


@attrs.frozen(kw_only=True)
class StateConfig:
    """``[state_config]``: where the last applied state and the migration lock are kept."""

    storage: str = _field(
        "clickhouse", "state store name: `clickhouse` (KeeperMap), `redis`, `file` (local directory), or a plugin's"
    )
    path: str = _field(".muskox/state", "directory of the `file` store, relative to the project")


@attrs.frozen(kw_only=True)
class MigrationConfig:
    """``[migration_config]``: how plans are made and applied."""

    ignore_operations: list[str] = _field([], "differences to ignore: " + ", ".join(IGNORE_OPERATION_NAMES))
    prod_auto_allow_destructive: bool = _field(
        False, "let `muskox prod` apply destructive changes without a reviewed plan"
    )
    dir: str = _field("migrations", "directory of plan and migration files, relative to the project")
    parallelism: int = _field(4, "operations on different tables applied at once (connections used by migrate)",
                              validator=_in_range(1, 1024))
    mutation_timeout: int = _field(600, "seconds to wait for a column-type mutation before reporting it",
                                   validator=_in_range(1, MAX_SECONDS))

    @ignore_operations.validator
    def _check_ignore_operations(self, attribute: attrs.Attribute[list[str]], value: list[str]) -> None:
        unknown = [v for v in value if v not in IGNORE_OPERATION_NAMES]
        if unknown:
            raise ValueError(
                f"unknown value(s) {', '.join(map(repr, unknown))}; valid: {', '.join(IGNORE_OPERATION_NAMES)}"
            )


@attrs.frozen(kw_only=True)
class FeaturesConfig:
    """``[features]``: switches for whole parts of the pipeline."""

    olap: bool = _field(True, "manage ClickHouse tables and views")
    streaming_engine: bool = _field(True, "manage Kafka/Redpanda topics")
    migrate_with_deltas: bool = _field(False, "write one delta file per migration instead of plan.yaml")


@attrs.frozen(kw_only=True)
class AuthenticationConfig:
    """``[authentication]``: credentials of the Admin API served by ``muskox prod``."""

    admin_api_key: str | None = _field(None, "PBKDF2 hash from `muskox generate hash-token`", secret=True)


@attrs.frozen(kw_only=True)
class HttpServerConfig:
    """``[http_server_config]``: the HTTP server of ``muskox prod``."""

    host: str = _field("localhost", "address to listen on")
    port: int = _field(4000, "port of /health and the Admin API", validator=PORT)


@attrs.frozen(kw_only=True)
class Config:
    """The effective configuration: defaults < file < tenant < environment < command-line flags."""

    project: ProjectConfig = attrs.field(factory=ProjectConfig)
    clickhouse_config: ClickHouseConfig = attrs.field(factory=ClickHouseConfig)
    redpanda_config: RedpandaConfig = attrs.field(factory=RedpandaConfig)
    redis_config: RedisConfig = attrs.field(factory=RedisConfig)
    state_config: StateConfig = attrs.field(factory=StateConfig)
    migration_config: MigrationConfig = attrs.field(factory=MigrationConfig)
    features: FeaturesConfig = attrs.field(factory=FeaturesConfig)
    authentication: AuthenticationConfig = attrs.field(factory=AuthenticationConfig)
    http_server_config: HttpServerConfig = attrs.field(factory=HttpServerConfig)
    source: str | None = attrs.field(default=None, metadata={"doc": "the file read, if any"})
    tenant: str | None = attrs.field(default=None, metadata={"doc": "the tenant applied, if any"})
    origins: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)
    """Where each value that is not a default came from (``"clickhouse_config.url"`` → origin)."""
    plugin_sections: dict[str, Any] = attrs.field(factory=dict)
    """The sections plugins declare (``muskox_register_config_sections``), by name; read with :meth:`section`."""

    def section(self, name: str, cls: type[Any] | None = None) -> Any:
        """The section ``name``, built-in or a plugin's; a plugin's section that was not loaded (a ``Config``
        built by hand) is ``cls()``, its defaults, when ``cls`` is given."""
        if name in SECTIONS:
            return getattr(self, name)
        if name in self.plugin_sections:
            return self.plugin_sections[name]
        if cls is not None:
            return cls()
        raise KeyError(f"no config section [{name}] is loaded (is the plugin that declares it installed?)")


SECTIONS: dict[str, type[Any]] = {
    f.name: f.type for f in attrs.fields(attrs.resolve_types(Config)) if f.type is not None and attrs.has(f.type)
}

#: Section aliases accepted in config files (Moose's ``kafka_config``).
SECTION_ALIASES = {"kafka_config": "redpanda_config"}

#: Top-level keys of a config file that belong to a section (Moose writes ``source_dir`` at the top level).
TOP_LEVEL_KEYS = {"source_dir": "project"}

#: Keys Moose defines in these sections that muskox reads but does not use (accepted in moose.config.toml).
MOOSE_ONLY_KEYS: dict[str, frozenset[str]] = {
    "project": frozenset(),
    "clickhouse_config": frozenset({"rls_user", "rls_password"}),
    "redpanda_config": frozenset(),
    "redis_config": frozenset({"tls"}),
    "state_config": frozenset(),
    "migration_config": frozenset(),
    "features": frozenset({"workflows", "apis", "ddl_plan", "data_model_v2", "mcp", "wasm"}),
    "authentication": frozenset(),
    "http_server_config": frozenset(
        {"management_port", "proxy_port", "path_prefix", "max_request_body_size", "on_reload_complete_script",
         "normalize_paths", "on_first_start_script"}
    ),
}
