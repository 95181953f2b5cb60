"""The built-in operation types (Moose's Plan Reference), registered as a plugin like any other."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from muskox.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from muskox.model.operations import Operation


@hookimpl
def muskox_register_operations(register: Callable[[str, type[Operation]], None]) -> None:
    """Register CreateTable, DropTable, AddTableColumn, … RawSql (imported here: the CLI starts without them)."""
    from muskox.model.operations import BUILTIN_OPERATIONS

    for name, cls in BUILTIN_OPERATIONS.items():
        register(name, cls)
