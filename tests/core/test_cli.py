"""The CLI shell: version, help, exit codes, one-line errors, masking, and lazy driver imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from muskox import __version__
from muskox.exit_codes import ExitCode
from tests.conftest import CliRunner

DRIVERS = ("clickhouse_connect", "asynch", "confluent_kafka", "redis", "chdb", "pandas", "pyarrow")


def test_version(run_muskox: CliRunner) -> None:
    result = run_muskox("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"muskox {__version__}")


def test_help_lists_global_options_and_builtin_commands(run_muskox: CliRunner) -> None:
    result = run_muskox("--help")
    assert result.returncode == 0
    for word in ("--project", "--config", "--tenant", "--verbose", "--quiet", "plugins", "config", "local"):
        assert word in result.stdout


def test_usage_error_exit_code(run_muskox: CliRunner) -> None:
    result = run_muskox("no-such-command")
    assert result.returncode == ExitCode.USAGE
    assert "No such command" in result.stderr


def test_help_imports_no_driver() -> None:
    code = ("import sys; from muskox.cli.main import run; run(['--help']); "
            f"print([m for m in sys.modules if m.split('.')[0] in {DRIVERS!r}])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_config_error_is_one_line_with_its_exit_code(run_muskox: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "muskox.toml").write_text("[clickhouse_config]\nport = 1\n")
    result = run_muskox("config", "show", cwd=tmp_path)
    assert result.returncode == ExitCode.CONFIG
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("muskox: error: muskox.toml: unknown key 'port' in [clickhouse_config]")
    assert "Fix: valid keys:" in lines[0]


def test_config_show_masks_secrets_and_names_origins(run_muskox: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "muskox.toml").write_text(
        '[clickhouse_config]\nurl = "https://admin:s3cr3t-pw@ch.example:8443/prod"\npassword = "hunter2"\n'
        '[authentication]\nadmin_api_key = "deadbeef"\n')
    env = {"MUSKOX_REDIS_CONFIG__URL": "redis://:redispw@cache:6379/0"}
    text = run_muskox("config", "show", cwd=tmp_path, env=env)
    as_json = run_muskox("config", "show", "--json", cwd=tmp_path, env=env)
    for result in (text, as_json):
        assert result.returncode == 0, result.stderr
        for secret in ("s3cr3t-pw", "hunter2", "deadbeef", "redispw"):
            assert secret not in result.stdout + result.stderr
    config = json.loads(as_json.stdout)["config"]
    assert config["clickhouse_config"]["url"] == {
        "value": "https://admin:****@ch.example:8443/prod", "origin": "muskox.toml"}
    assert config["redis_config"]["url"]["origin"] == "environment variable MUSKOX_REDIS_CONFIG__URL"
    assert config["clickhouse_config"]["db_name"] == {"value": "local", "origin": "default"}
    assert 'url = "https://admin:****@ch.example:8443/prod"  # from muskox.toml' in text.stdout


def test_project_and_tenant_options(run_muskox: CliRunner, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "muskox.toml").write_text('[tenants.acme.clickhouse_config]\ndb_name = "acme_db"\n')
    result = run_muskox("--project", str(project), "--tenant", "acme", "config", "show", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["tenant"] == "acme"
    assert shown["config"]["clickhouse_config"]["db_name"]["value"] == "acme_db"
    via_env = run_muskox("--project", str(project), "config", "show", "--json", env={"MUSKOX_TENANT": "acme"})
    assert json.loads(via_env.stdout)["tenant"] == "acme"


def test_unexpected_failure_prints_a_masked_traceback(tmp_path: Path) -> None:
    site = tmp_path / "site"
    pkg = site / "crashing_plugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "import click\nfrom muskox import hookimpl\n"
        "@click.command('crash')\ndef crash():\n"
        "    raise RuntimeError('cannot reach clickhouse://bob:topsecret@db:9000/x')\n"
        "@hookimpl\ndef muskox_register_commands(register):\n    register('crash', crash)\n")
    dist = site / "crashing_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crashing-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[muskox]\ncrash = crashing_plugin\n")
    result = subprocess.run([sys.executable, "-m", "muskox", "crash"], capture_output=True, text=True,
                            env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert result.returncode == ExitCode.FAILURE
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: cannot reach clickhouse://bob:****@db:9000/x" in result.stderr
    assert "topsecret" not in result.stderr
