"""muskox-state-keeper: muskox's state and migration lock in a ClickHouse KeeperMap table (``_MOOSE_STATE``)."""

from __future__ import annotations

from muskox_state_keeper.store import KeeperStateStore

__all__ = ["KeeperStateStore"]
