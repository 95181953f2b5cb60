"""The built-in plugin ``muskox.file_state``: registers the ``file`` state store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from muskox.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from muskox.plugin.interfaces import StateStore


@hookimpl
def muskox_register_state_stores(register: Callable[[str, type[StateStore]], None]) -> None:
    """Register :class:`~muskox.state.file_store.FileStateStore` as ``file``."""
    from muskox.state.file_store import FileStateStore

    register("file", FileStateStore)
