"""Configuration: the typed sections of ``muskox.toml`` and how they are loaded."""

from muskox.config.loader import CONFIG_FILE, MOOSE_CONFIG_FILE, Override, find_config_file, load_config
from muskox.config.model import (
    AuthenticationConfig,
    ClickHouseConfig,
    ClusterConfig,
    Config,
    FeaturesConfig,
    HttpServerConfig,
    MigrationConfig,
    ProjectConfig,
    RedisConfig,
    RedpandaConfig,
    StateConfig,
)
from muskox.config.sections import setting

__all__ = [
    "CONFIG_FILE",
    "MOOSE_CONFIG_FILE",
    "AuthenticationConfig",
    "ClickHouseConfig",
    "ClusterConfig",
    "Config",
    "FeaturesConfig",
    "HttpServerConfig",
    "MigrationConfig",
    "Override",
    "ProjectConfig",
    "RedisConfig",
    "RedpandaConfig",
    "StateConfig",
    "find_config_file",
    "load_config",
    "setting",
]
