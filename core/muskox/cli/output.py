"""Writing to the terminal: results on stdout, diagnostics on stderr, credentials always masked."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from muskox.masking import mask_text

PROG = "muskox"


def emit_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout (the only thing ``--json`` commands print there)."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def error(message: str) -> None:
    """Print a one-line error on stderr."""
    click.secho(f"{PROG}: error: {mask_text(message)}", fg="red", err=True)


def warning(message: str) -> None:
    """Print a one-line warning on stderr."""
    click.secho(f"{PROG}: warning: {mask_text(message)}", fg="yellow", err=True)


def info(message: str, *, quiet: bool = False) -> None:
    """Print a progress or status line on stderr, unless ``quiet``."""
    if not quiet:
        click.echo(mask_text(message), err=True)


def is_terminal() -> bool:
    """True when both stdin and stdout are terminals (prompts are allowed)."""
    return sys.stdin.isatty() and sys.stdout.isatty()
