"""muskox-clickhouse: the ClickHouse backend of muskox (HTTP through clickhouse-connect, native through asynch).

Importing the package imports no driver: they load when the first connection is opened.
"""

from __future__ import annotations

from muskox_clickhouse.backend import ClickHouseBackend
from muskox_clickhouse.client import ClickHouseClient, connect
from muskox_clickhouse.errors import ClickHouseServerError
from muskox_clickhouse.url import ClickHouseUrl, parse_url, resolve_url, url_from_config

__all__ = [
    "ClickHouseBackend",
    "ClickHouseClient",
    "ClickHouseServerError",
    "ClickHouseUrl",
    "connect",
    "parse_url",
    "resolve_url",
    "url_from_config",
]
