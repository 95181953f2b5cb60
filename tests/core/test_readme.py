"""The README documents every config key, exit code, command and global option."""

from __future__ import annotations

from pathlib import Path

import attrs
import click
import pytest

from muskox.cli.main import cli
from muskox.config.model import SECTIONS
from muskox.exit_codes import ExitCode
from muskox.plugin.manager import Plugins

README = (Path(__file__).parents[2] / "README.md").read_text()


@pytest.mark.parametrize("key", [f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in attrs.fields(cls)])
def test_every_config_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in README


@pytest.mark.parametrize("code", list(ExitCode))
def test_every_exit_code_is_documented(code: ExitCode) -> None:
    assert f"| {int(code)} | `{code.name}` |" in README


def _command_paths(command: click.Command, prefix: str) -> list[str]:
    if isinstance(command, click.Group):
        return [p for name, sub in command.commands.items() for p in _command_paths(sub, f"{prefix} {name}")]
    return [prefix]


def test_every_builtin_command_and_option_is_documented() -> None:
    builtin = Plugins.load(env={}, entry_points=[]).commands()
    for name, command in builtin.items():
        for path in _command_paths(command, f"muskox {name}"):
            assert f"`{path}" in README, path
    for command in builtin.values():
        for sub in [command, *getattr(command, "commands", {}).values()]:
            for param in sub.params:
                for opt in getattr(param, "opts", []):
                    if opt.startswith("--"):
                        assert opt in README, f"{sub.name} {opt}"
    for param in cli.params:
        for opt in getattr(param, "opts", []):
            assert opt in README, opt
