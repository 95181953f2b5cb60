"""The one error type of the declaration API."""

from __future__ import annotations

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode


class DeclarationError(MuskoxError):
    """A table, view or materialized view declaration (or the project that holds them) is invalid.

    The message names the place (``app/main.py:12``), the declaration and the field at fault.
    """

    exit_code = ExitCode.CONFIG
    placed: bool = False
    """True once the message starts with the declaration's ``file:line``."""
