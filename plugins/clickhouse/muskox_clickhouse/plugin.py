"""The muskox entry point of muskox-clickhouse: registers the ``clickhouse`` OLAP backend and the ``local``
command (the embedded ClickHouse of :mod:`muskox_clickhouse.local`).

Importing this module imports no database driver; they load when a connection is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from muskox import hookimpl
from muskox.plugin.interfaces import OlapBackend
from muskox_clickhouse.backend import ClickHouseBackend


@hookimpl
def muskox_register_olap_backends(register: Callable[[str, type[OlapBackend]], None]) -> None:
    """Register :class:`ClickHouseBackend` as ``clickhouse``."""
    register("clickhouse", ClickHouseBackend)


@hookimpl
def muskox_register_commands(register: Callable[[str, click.Command], None]) -> None:
    """Register ``muskox local start|stop|status``."""
    from muskox_clickhouse.local.commands import local_group

    register("local", local_group)


@hookimpl
def muskox_register_config_sections(register: Callable[[str, type[Any]], None]) -> None:
    """Declare ``[clickhouse_config]``, the server's section (built into muskox for Moose compatibility)."""
    from muskox.config import ClickHouseConfig

    register("clickhouse_config", ClickHouseConfig)
