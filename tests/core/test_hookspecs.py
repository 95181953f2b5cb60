"""The plugin surface is documented and tested: docs/plugins.md shows each hook's exact signature."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from muskox.plugin import hookspecs

ROOT = Path(__file__).parents[2]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("muskox_"))


def signature_line(name: str) -> str:
    return f"def {name}{inspect.signature(getattr(hookspecs, name))}".replace("'", "")


def test_there_are_hooks() -> None:
    assert "muskox_register_commands" in HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_exact_signature(name: str) -> None:
    assert signature_line(name) in (ROOT / "docs" / "plugins.md").read_text()


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_docstring_and_an_implementation_under_test(name: str) -> None:
    assert (getattr(hookspecs, name).__doc__ or "").strip()
    samples = (ROOT / "tests" / "core" / "plugin_samples").glob("*.py")
    assert any(f"def {name}(" in path.read_text() for path in samples), f"no sample plugin implements {name}"
