"""A real third-party distribution, installed with pip, is discovered through its entry point and used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CliRunner

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "muskox-plugin-example"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(EXAMPLE)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    return target


def _env(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_plugins_json_lists_the_distribution_and_its_command(installed_example: Path, run_muskox: CliRunner) -> None:
    result = run_muskox("plugins", "--json", env=_env(installed_example))
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    example = plugins["example"]
    assert example["distribution"] == "muskox-plugin-example"
    assert example["version"] == "0.3.0"
    assert example["registers"] == {"commands": ["example-greet"]}


def test_the_plugin_command_runs(installed_example: Path, run_muskox: CliRunner) -> None:
    result = run_muskox("example-greet", "walrus", env=_env(installed_example))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "example plugin greets walrus"


def test_disabling_the_plugin_removes_its_command(installed_example: Path, run_muskox: CliRunner) -> None:
    env = {**_env(installed_example), "MUSKOX_DISABLE_PLUGINS": "muskox-plugin-example"}
    result = run_muskox("example-greet", "walrus", env=env)
    assert result.returncode == 2
    assert "No such command 'example-greet'" in result.stderr
