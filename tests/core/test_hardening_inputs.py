"""Hardening without servers (issue 15): the project's code runs apart from the CLI, every URL is masked before
any parsing error, bad numbers and texts are one line, and ``.yml`` migration files are refused."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muskox.config import load_config
from muskox.declare import DeclarationError, collect_project
from muskox.errors import ConfigError
from muskox.exit_codes import ExitCode
from muskox.files.delta import load_migrations
from muskox.masking import MASK, mask_text, mask_url
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.url import parse_url
from tests.conftest import CliRunner


def _project(tmp_path: Path, code: str) -> Path:
    (tmp_path / "app").mkdir(parents=True, exist_ok=True)
    (tmp_path / "app" / "main.py").write_text(textwrap.dedent(code))
    return tmp_path


# -- the project's code runs isolated -----------------------------------------------------------------------


@pytest.mark.parametrize(("call", "shown"), [
    ("sys.exit(0)", "sys.exit(0)"),
    ("sys.exit(3)", "sys.exit(3)"),
    ("raise SystemExit('bye')", "sys.exit('bye')"),
    ("os._exit(4)", "os._exit(4)"),
])
def test_an_exit_during_collection_is_an_error_naming_file_and_line(tmp_path: Path, call: str, shown: str) -> None:
    project = _project(tmp_path, f"import os, sys\n\n\ndef main():\n    {call}\n\n\nmain()\n")
    with pytest.raises(DeclarationError) as caught:
        collect_project(project, default_database="db")
    assert caught.value.exit_code == ExitCode.CONFIG
    assert caught.value.problem.startswith(f"app/main.py:5: the project's code called {shown} while muskox")
    assert "__main__" in (caught.value.fix or "")
    assert os._exit.__module__ in {"os", "posix", "nt"}  # restored


def test_argv_is_the_main_file_and_prints_go_to_stderr(tmp_path: Path) -> None:
    project = _project(tmp_path, """
        import argparse, os, sys
        seen = list(sys.argv)
        print("printed by the project")
        os.system("echo written by a child process")
        argparse.ArgumentParser().parse_args()  # exits (code 2) if it sees muskox's arguments
    """)
    script = (f"import sys; from muskox.declare import collect_project; "
              f"collect_project({str(project)!r}, default_database='db'); "
              f"print('argv after', sys.argv[1:])")
    result = subprocess.run([sys.executable, "-c", script, "--json", "plan"], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "argv after ['--json', 'plan']\n"
    assert "printed by the project" in result.stderr and "written by a child process" in result.stderr


def test_argv_seen_by_the_project_is_its_main_file(tmp_path: Path) -> None:
    project = _project(tmp_path, "import sys\nassert sys.argv == [__file__], sys.argv\n")
    before = list(sys.argv)
    collect_project(project, default_database="db")
    assert sys.argv == before


# -- masking ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http//alice:S3cret@host/db", "alice:S3cret@host", "redis//alice:S3cret@h:6379", "http:/alice:S3cret@h",
    "redis://:S3cret/x@h:6379", "http://alice:S3cret@x@host/db", "kafka//alice:S3cret@h:9092",
])
def test_malformed_urls_are_masked(url: str) -> None:
    assert "S3cret" not in mask_url(url)
    if "/" in url.split("S3cret")[0]:  # a scheme, even mistyped: found inside free text too
        assert "S3cret" not in mask_text(f"bad URL '{url}' given")


@given(user=st.text(alphabet=st.characters(blacklist_characters=":@/ \n\r\t'\""), max_size=8),
       password=st.text(alphabet=st.characters(blacklist_characters="@ \n\r\t'\"*"), min_size=4, max_size=16),
       lead=st.sampled_from(["http://", "http//", "https:/", "redis://", "", "clickhouse://"]))
def test_mask_url_hides_any_password(user: str, password: str, lead: str) -> None:
    masked = mask_url(f"{lead}{user}:{password}@host:1/db")
    assert masked == f"{lead}{user}:{MASK}@host:1/db"


BAD_URLS = ["http//alice:S3cret@host/db", "ftp://alice:S3cret@host", "alice:S3cret@h:-5", "redis://alice:S3cret@h:-5",
            "kafka://alice:S3cret@h:-5", "clickhouse://alice:S3cret@h/a/b", "http://alice:S3cret@h:99999/db"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_every_url_parser_masks_before_raising(url: str) -> None:
    from muskox.cli.options import check_admin_url
    from muskox.config import Config, RedisConfig
    from muskox_redpanda.connection import parse_kafka_url
    from muskox_state_redis.store import RedisStateStore

    parsers = [lambda: parse_url(url), lambda: parse_kafka_url(url), lambda: check_admin_url(url),
               lambda: RedisStateStore.from_config(Config(redis_config=RedisConfig(url=url)), dialect=CLICKHOUSE)]
    for parse in parsers:
        try:
            parse()
        except ConfigError as exc:
            assert "S3cret" not in exc.one_line(), exc.one_line()


@pytest.mark.parametrize(("storage", "flag"), [("clickhouse", "--clickhouse-url"), ("redis", "--redis-url")])
@pytest.mark.parametrize("url", BAD_URLS[:3])
def test_no_cli_message_shows_a_password(run_muskox: CliRunner, tmp_path: Path, storage: str, flag: str,
                                         url: str) -> None:
    project = _project(tmp_path / "p", "")
    (project / "muskox.toml").write_text(f'[state_config]\nstorage = "{storage}"\n')
    for env in (None, {f"MUSKOX_{flag[2:].split('-')[0].upper()}_CONFIG__URL": url}):
        args = ("--project", str(project), "lock", "status", *((flag, url) if env is None else ()))
        result = run_muskox(*args, env=env, timeout=60)
        assert result.returncode == ExitCode.CONFIG, result.stderr
        assert "S3cret" not in result.stdout + result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_clickhouse_url_errors_name_their_origin(tmp_path: Path) -> None:
    from muskox_clickhouse.url import resolve_url

    config = load_config(tmp_path, env={"MUSKOX_CLICKHOUSE_CONFIG__URL": "http//alice:S3cret@h/db"})
    with pytest.raises(ConfigError) as caught:
        resolve_url(config)
    assert caught.value.problem.startswith("environment variable MUSKOX_CLICKHOUSE_CONFIG__URL 'http//alice:****@")
    with pytest.raises(ConfigError, match="bad port"):
        parse_url("http://h:-5/db")


# -- one line for bad numbers and texts ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e12", "soon"])
def test_lock_wait_rejects_nan_and_out_of_range_in_one_line(run_muskox: CliRunner, value: str) -> None:
    result = run_muskox("prod", "--lock-wait", value)
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.strip().splitlines() == [
        f"muskox: error: --lock-wait {value!r} is not a number of seconds from 0 to 604800. "
        "Fix: give --lock-wait a number in that range"]


@pytest.mark.parametrize(("toml", "line"), [
    ("[http_server_config]\nport = 70000\n", "muskox.toml: [http_server_config] port must be in 1..65535, not 70000"),
    ("[migration_config]\nparallelism = 0\n", "muskox.toml: [migration_config] parallelism must be in 1..1024"),
    ("[redpanda_config]\nreplication_factor = -3\n", "[redpanda_config] replication_factor must be in 1..1000"),
])
def test_numeric_config_out_of_range_is_one_line(run_muskox: CliRunner, tmp_path: Path, toml: str,
                                                 line: str) -> None:
    (tmp_path / "muskox.toml").write_text(toml)
    result = run_muskox("config", "show")
    assert result.returncode == ExitCode.CONFIG
    assert len(result.stderr.strip().splitlines()) == 1 and line in result.stderr


def test_a_500_character_description_is_one_line(run_muskox: CliRunner) -> None:
    result = run_muskox("generate", "migration", "--save", "--description", "x" * 500)
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.strip().splitlines() == [
        "muskox: error: --description is 500 characters long; at most 120 are allowed (it becomes part of the "
        "migration file's name). Fix: shorten --description"]


@pytest.mark.parametrize(("url", "part"), [
    ("ftp://x", "has 'ftp://'"), ("http://127.0.0.1:-5", "port"), ("http//alice:S3cret@h", "no http://"),
    ("http://:4000", "no host"),
])
def test_admin_api_url_is_checked_before_any_request(run_muskox: CliRunner, tmp_path: Path, url: str,
                                                    part: str) -> None:
    _project(tmp_path, "")
    result = run_muskox("plan", "--url", url)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert part in result.stderr and "S3cret" not in result.stderr
    assert "Name or service not known" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# -- .yml files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["20250101_000000_000_add.yml", "20250101_000000_000_add.YAML"])
def test_yml_migration_files_are_refused_by_name(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("id: x\n")
    with pytest.raises(Exception) as caught:
        load_migrations(tmp_path, CLICKHOUSE)
    assert getattr(caught.value, "exit_code", None) == ExitCode.PLAN_INVALID
    assert f"{name}: migration files end in .yaml, so this file would never be applied; rename it to " \
           f"20250101_000000_000_add.yaml" in str(caught.value)
