"""The muskox entry point: the ``postgres`` state store and its config section.

Importing this module does not import psycopg; the store imports it when it is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from muskox import hookimpl
from muskox.plugin.interfaces import StateStore
from muskox_state_postgres.config import SECTION, PostgresStateConfig
from muskox_state_postgres.store import PostgresStateStore


@hookimpl
def muskox_register_state_stores(register: Callable[[str, type[StateStore]], None]) -> None:
    """``[state_config] storage = "postgres"``."""
    register("postgres", PostgresStateStore)


@hookimpl
def muskox_register_config_sections(register: Callable[[str, type[Any]], None]) -> None:
    """``[postgres_state_config]`` (url, namespace, connect_timeout)."""
    register(SECTION, PostgresStateConfig)
