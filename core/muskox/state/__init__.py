"""What every state store shares: the lock record and its owner, lock errors, the heartbeat, the state encoding.

The store interface itself is :class:`muskox.plugin.interfaces.StateStore` (with
:class:`muskox.plugin.interfaces.Lock`); the built-in ``file`` store is
:class:`muskox.state.file_store.FileStateStore`. Use :func:`open_state_store` to open the store a configuration
names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from muskox.state.errors import LockHeld, LockLost, StateError
from muskox.state.heartbeat import Heartbeat
from muskox.state.lock_info import DEFAULT_LOCK_TTL, LockInfo, default_owner

if TYPE_CHECKING:
    from pathlib import Path

    from muskox.config import Config
    from muskox.plugin.dialect import Dialect
    from muskox.plugin.interfaces import StateStore
    from muskox.plugin.manager import Plugins

__all__ = [
    "DEFAULT_LOCK_TTL",
    "Heartbeat",
    "LockHeld",
    "LockInfo",
    "LockLost",
    "StateError",
    "default_owner",
    "open_state_store",
]


def open_state_store(config: Config, plugins: Plugins, *, project_dir: Path | None = None,
                     dialect: Dialect | None = None) -> StateStore:
    """Open the store ``[state_config] storage`` names (after tenant overrides), through the loaded plugins, for
    ``dialect`` (None: the OLAP backend's, :func:`muskox.plugin.backends.olap_dialect`).

    Raises :class:`muskox.errors.PluginError` listing the installed stores when none has that name (or no OLAP
    backend is installed).
    """
    from muskox.plugin.backends import olap_dialect

    store_class = plugins.state_store(config.state_config.storage)
    return store_class.from_config(config, dialect=dialect or olap_dialect(plugins), project_dir=project_dir)
