"""Shared test helpers: running the real ``muskox`` command in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run (a failure there reproduces); elsewhere hypothesis draws new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_muskox(tmp_path: Path) -> CliRunner:
    """Run ``python -m muskox ARGS`` as a separate process; returns the completed process (text output)."""

    def run(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "muskox", *args], cwd=cwd or tmp_path, env=full_env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )

    return run
