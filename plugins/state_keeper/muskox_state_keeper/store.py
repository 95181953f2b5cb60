"""The ``clickhouse`` state store: rows of a KeeperMap table in the primary database (spec 9.1).

The table is ``<db_name>._MOOSE_STATE`` (Moose's name, so both tools share state); it is reached through the
ClickHouse backend of muskox-clickhouse, over the same URL as the schema itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from muskox.interfaces import StateStore
from muskox.quoting import quote_identifier
from muskox_clickhouse.backend import ClickHouseBackend

if TYPE_CHECKING:
    from muskox.config import Config

STATE_TABLE = "_MOOSE_STATE"


class KeeperStateStore(StateStore):
    """State kept in ``<db>._MOOSE_STATE`` (``ENGINE = KeeperMap('/<db>/_MOOSE_STATE') PRIMARY KEY key``)."""

    description = "ClickHouse KeeperMap table _MOOSE_STATE in the primary database"

    def __init__(self, backend: ClickHouseBackend) -> None:
        self.backend = backend

    @classmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        """Open the store on the ClickHouse server of ``[clickhouse_config]`` (or ``url``)."""
        return cls(ClickHouseBackend.from_config(config, url=url))

    @property
    def table(self) -> str:
        """The fully qualified, quoted state table."""
        return f"{quote_identifier(self.backend.database)}.{quote_identifier(STATE_TABLE)}"

    def ping(self) -> None:
        """Check that the ClickHouse server answers (raises ConnectionFailed with a fix otherwise)."""
        self.backend.server_version()

    def close(self) -> None:
        """Close the ClickHouse connection. Safe to call twice."""
        self.backend.close()
