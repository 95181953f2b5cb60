"""Options shared by several commands, and turning them into config overrides."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from muskox.config import Override

if TYPE_CHECKING:
    from muskox.plan.remote_state import RemoteState
    from muskox.plugin.dialect import Dialect

F = TypeVar("F", bound=Callable[..., Any])


def connection_options(command: F) -> F:
    """``--clickhouse-url`` and ``--redis-url`` (the config's ``url`` keys, which also come from the environment)."""
    command = click.option("--redis-url", metavar="URL",
                           help="Redis of the `redis` state store (overrides [redis_config] url).")(command)
    return click.option("--clickhouse-url", metavar="URL",
                        help="ClickHouse to plan against: http(s)://user:pass@host:port/db or clickhouse://… "
                             "(overrides [clickhouse_config]).")(command)


def connection_overrides(clickhouse_url: str | None, redis_url: str | None,
                         kafka_url: str | None = None) -> list[Override]:
    """Config overrides for the connection flags that were given."""
    overrides = []
    if clickhouse_url:
        overrides.append(Override("clickhouse_config", "url", clickhouse_url, "--clickhouse-url"))
    if redis_url:
        overrides.append(Override("redis_config", "url", redis_url, "--redis-url"))
    if kafka_url:
        overrides.append(Override("redpanda_config", "url", kafka_url, "--kafka-url"))
    return overrides


def kafka_option(command: F) -> F:
    """``--kafka-url``: the broker holding the project's topics (overrides ``[redpanda_config]``)."""
    return click.option("--kafka-url", metavar="URL",
                        help="Kafka/Redpanda broker of the project's streams: kafka://[user:pass@]host:port or "
                             "kafka+ssl://… (overrides [redpanda_config]; contacted only when topics are "
                             "involved).")(command)


def approval_options(command: F) -> F:
    """``--yes-all``, ``--yes-destructive``, ``--yes-rename``, ``--no-auto-backfill-sql``."""
    for flag, text in reversed((
        ("--yes-all", "Accept every prompt: renames, destructive operations, version-bump backfills "
                      "(env MUSKOX_ACCEPT_ALL=1)."),
        ("--yes-destructive", "Accept destructive operations (env MUSKOX_ACCEPT_DESTRUCTIVE=1)."),
        ("--yes-rename", "Accept detected column renames as renames (env MUSKOX_ACCEPT_RENAME=1)."),
        ("--no-auto-backfill-sql", "Do not generate backfill SQL for version bumps."),
    )):
        command = click.option(flag, is_flag=True, help=text)(command)
    return command


def remote_options(command: F) -> F:
    """``--url`` and ``--token``: plan against a running ``muskox prod``'s Admin API instead of the database."""
    command = click.option("--token", metavar="TOKEN", envvar=["MUSKOX_ADMIN_TOKEN", "MOOSE_ADMIN_TOKEN"],
                           show_envvar=False,
                           help="Bearer token for --url (from `muskox generate hash-token`; env MUSKOX_ADMIN_TOKEN "
                                "or MOOSE_ADMIN_TOKEN).")(command)
    return click.option("--url", metavar="URL",
                        help="Admin API of a running `muskox prod` (http://host:port): plan against the state it "
                             "reports instead of reading the database.")(command)


def fetch_remote(url: str | None, token: str | None, clickhouse_url: str | None,
                 dialect: Dialect) -> RemoteState | None:
    """The :class:`~muskox.plan.remote_state.RemoteState` at ``--url`` (read in the OLAP backend's ``dialect``), or
    None without ``--url``."""
    if url is None:
        return None
    if clickhouse_url:
        raise click.UsageError("give either --url (a muskox prod Admin API) or --clickhouse-url, not both")
    from muskox.plan.remote_state import fetch_remote_state

    return fetch_remote_state(url, token, dialect)
