"""Config loading: file discovery, types, env overrides, tenants, precedence and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muskox.config import ClusterConfig, Override, load_config
from muskox.errors import ConfigError


def write(project: Path, name: str, text: str) -> Path:
    path = project / name
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.source is None
    assert config.clickhouse_config.db_name == "local"
    assert config.state_config.storage == "clickhouse"
    assert config.migration_config.prod_auto_allow_destructive is False
    assert config.origins == {}


def test_muskox_toml_is_preferred_over_moose_config(tmp_path: Path) -> None:
    write(tmp_path, "moose.config.toml", '[clickhouse_config]\ndb_name = "from_moose"\n')
    assert load_config(tmp_path, env={}).clickhouse_config.db_name == "from_moose"
    write(tmp_path, "muskox.toml", '[clickhouse_config]\ndb_name = "from_muskox"\n')
    config = load_config(tmp_path, env={})
    assert config.clickhouse_config.db_name == "from_muskox"
    assert config.origins["clickhouse_config.db_name"] == "muskox.toml"


def test_moose_config_with_moose_only_sections_and_keys_loads(tmp_path: Path) -> None:
    write(tmp_path, "moose.config.toml", """
language = "Python"
[telemetry]
enabled = false
[kafka_config]
broker = "kafka:9092"
namespace = "prod"
[features]
olap = true
workflows = false
migrate_with_deltas = true
[http_server_config]
port = 4100
management_port = 5001
[[clickhouse_config.clusters]]
name = "main"
""")
    config = load_config(tmp_path, env={})
    assert config.redpanda_config.broker == "kafka:9092"
    assert config.redpanda_config.namespace == "prod"
    assert config.features.migrate_with_deltas is True
    assert config.http_server_config.port == 4100
    assert config.clickhouse_config.clusters == [ClusterConfig(name="main")]


def test_unknown_section_in_muskox_toml_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "muskox.toml", "[telemetry]\nenabled = false\n")
    with pytest.raises(ConfigError, match=r"muskox.toml: unknown section \[telemetry\].*clickhouse_config"):
        load_config(tmp_path, env={})


def test_unknown_key_names_file_section_and_valid_keys(tmp_path: Path) -> None:
    write(tmp_path, "muskox.toml", '[clickhouse_config]\ndbname = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    assert "muskox.toml: unknown key 'dbname' in [clickhouse_config]" in str(info.value)
    assert "db_name" in str(info.value)


def test_typo_in_moose_config_is_still_an_error(tmp_path: Path) -> None:
    write(tmp_path, "moose.config.toml", "[migration_config]\nprod_auto_allow_destructiv = true\n")
    with pytest.raises(ConfigError, match="unknown key 'prod_auto_allow_destructiv'"):
        load_config(tmp_path, env={})


@pytest.mark.parametrize(("text", "expected"), [
    ('[clickhouse_config]\nhost_port = "8123"\n', "clickhouse_config.host_port must be an integer, got '8123'"),
    ("[features]\nolap = 1\n", "features.olap must be a boolean (true or false), got 1"),
    ('[migration_config]\nignore_operations = "ModifyTableTtl"\n', "must be a list of strings"),
    ("[clickhouse_config]\npassword = 1234\n", "clickhouse_config.password must be a string, got ****"),
])
def test_mistyped_values_name_the_key_and_expected_type(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, "muskox.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    assert expected in str(info.value)
    assert str(info.value).startswith("muskox.toml: ")
    assert "1234" not in str(info.value)


def test_invalid_ignore_operation_lists_valid_values(tmp_path: Path) -> None:
    write(tmp_path, "muskox.toml", '[migration_config]\nignore_operations = ["ModifyTtl"]\n')
    with pytest.raises(ConfigError, match=r"'ModifyTtl'.*ModifyTableTtl, ModifyColumnTtl"):
        load_config(tmp_path, env={})


def test_invalid_toml_is_one_clear_error(tmp_path: Path) -> None:
    write(tmp_path, "muskox.toml", "[clickhouse_config\n")
    with pytest.raises(ConfigError, match=r"muskox\.toml: invalid TOML"):
        load_config(tmp_path, env={})


def test_env_overrides_file_and_flags_override_env(tmp_path: Path) -> None:
    write(tmp_path, "muskox.toml", '[clickhouse_config]\ndb_name = "file"\n[features]\nolap = true\n')
    env = {"MUSKOX_CLICKHOUSE_CONFIG__DB_NAME": "env", "MUSKOX_FEATURES__OLAP": "false",
           "MUSKOX_MIGRATION_CONFIG__IGNORE_OPERATIONS": "ModifyTableTtl, ModifyColumnTtl"}
    config = load_config(tmp_path, env=env)
    assert config.clickhouse_config.db_name == "env"
    assert config.features.olap is False
    assert config.migration_config.ignore_operations == ["ModifyTableTtl", "ModifyColumnTtl"]
    assert config.origins["clickhouse_config.db_name"] == "environment variable MUSKOX_CLICKHOUSE_CONFIG__DB_NAME"
    flagged = load_config(tmp_path, env=env,
                          overrides=[Override("clickhouse_config", "db_name", "flag", "--database")])
    assert flagged.clickhouse_config.db_name == "flag"


def test_muskox_env_wins_over_moose_env(tmp_path: Path) -> None:
    env = {"MOOSE_MIGRATION_CONFIG__PROD_AUTO_ALLOW_DESTRUCTIVE": "true",
           "MUSKOX_MIGRATION_CONFIG__PROD_AUTO_ALLOW_DESTRUCTIVE": "false", "MOOSE_TELEMETRY__ENABLED": "x"}
    assert load_config(tmp_path, env=env).migration_config.prod_auto_allow_destructive is False
    moose_only = {"MOOSE_MIGRATION_CONFIG__PROD_AUTO_ALLOW_DESTRUCTIVE": "true"}
    assert load_config(tmp_path, env=moose_only).migration_config.prod_auto_allow_destructive is True


@pytest.mark.parametrize(("var", "message"), [
    ("MUSKOX_CLICKHOUSE_CONFIG__DB", "environment variable MUSKOX_CLICKHOUSE_CONFIG__DB: unknown key 'db'"),
    ("MUSKOX_CLICKHOUSE__DB_NAME", "unknown section 'clickhouse'"),
])
def test_unknown_muskox_env_variables_are_errors(tmp_path: Path, var: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env={var: "x"})


def test_bad_env_boolean_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"environment variable MUSKOX_FEATURES__OLAP: features\.olap must be"):
        load_config(tmp_path, env={"MUSKOX_FEATURES__OLAP": "maybe"})


def test_tenant_overrides_apply_between_file_and_env(tmp_path: Path) -> None:
    write(tmp_path, "muskox.toml", """
[clickhouse_config]
db_name = "shared"
[redis_config]
key_prefix = "MS"
[tenants.acme.clickhouse_config]
db_name = "acme"
[tenants.acme.state_config]
storage = "redis"
[tenants.acme.redis_config]
key_prefix = "acme"
[tenants.globex.clickhouse_config]
db_name = "globex"
""")
    acme = load_config(tmp_path, tenant="acme", env={})
    assert (acme.clickhouse_config.db_name, acme.state_config.storage, acme.redis_config.key_prefix) == (
        "acme", "redis", "acme")
    assert acme.tenant == "acme"
    globex = load_config(tmp_path, tenant="globex", env={"MUSKOX_REDIS_CONFIG__KEY_PREFIX": "g"})
    assert (globex.clickhouse_config.db_name, globex.redis_config.key_prefix) == ("globex", "g")
    assert load_config(tmp_path, env={}).clickhouse_config.db_name == "shared"
    with pytest.raises(ConfigError, match=r"tenant 'nope' is not defined in muskox.toml \(defined: acme, globex\)"):
        load_config(tmp_path, tenant="nope", env={})


def test_typo_inside_an_unused_tenant_is_still_reported(tmp_path: Path) -> None:
    write(tmp_path, "muskox.toml", "[tenants.acme.clickhouse_config]\ndbname = 'x'\n")
    with pytest.raises(ConfigError, match=r"\[tenants.acme\]: unknown key 'dbname'"):
        load_config(tmp_path, env={})


def test_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path, config_file=tmp_path / "missing.toml", env={})


@given(st.integers(min_value=1, max_value=65535), st.booleans(),
       st.lists(st.text("abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12), max_size=4))
def test_env_text_round_trips_typed_values(port: int, ssl: bool, databases: list[str]) -> None:
    env = {"MUSKOX_CLICKHOUSE_CONFIG__HOST_PORT": str(port),
           "MUSKOX_CLICKHOUSE_CONFIG__USE_SSL": "true" if ssl else "false",
           "MUSKOX_CLICKHOUSE_CONFIG__ADDITIONAL_DATABASES": ",".join(databases)}
    config = load_config(Path("/nonexistent-project-dir"), env=env).clickhouse_config
    assert (config.host_port, config.use_ssl, config.additional_databases) == (port, ssl, databases)


def test_source_dir_at_top_level_as_moose_writes_it(tmp_path: Path) -> None:
    write(tmp_path, "moose.config.toml", 'language = "Python"\nsource_dir = "src"\n')
    assert load_config(tmp_path, env={}).project.source_dir == "src"
    write(tmp_path, "muskox.toml", '[project]\nsource_dir = "lib"\nmain_module = "schema.py"\n')
    config = load_config(tmp_path, env={"MUSKOX_PROJECT__MAIN_MODULE": "tables.py"})
    assert (config.project.source_dir, config.project.main_module) == ("lib", "tables.py")
