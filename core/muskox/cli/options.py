"""Options shared by several commands, and turning them into config overrides."""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import click

from muskox.config import Override
from muskox.errors import ConfigError, MuskoxError
from muskox.exit_codes import ExitCode
from muskox.masking import mask_url

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
    check_admin_url(url)
    from muskox.plan.remote_state import fetch_remote_state

    return fetch_remote_state(url, token, dialect)


ADMIN_URL_FIX = "give the Admin API of `muskox prod` as http://HOST:PORT (https:// behind a TLS proxy)"


def check_admin_url(url: str) -> None:
    """Refuse an Admin API URL that cannot be one (scheme, host, port), naming the part at fault; masked."""
    shown = mask_url(url)
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"--url '{shown}' has a port that is not a number from 1 to 65535", ADMIN_URL_FIX) from None
    if parts.scheme.lower() not in {"http", "https"}:
        scheme = f"'{parts.scheme}://'" if parts.scheme and "//" in url else "no http:// or https://"
        raise ConfigError(f"--url '{shown}' has {scheme}; the Admin API speaks HTTP", ADMIN_URL_FIX)
    if not parts.hostname:
        raise ConfigError(f"--url '{shown}' has no host", ADMIN_URL_FIX)
    if port == 0:
        raise ConfigError(f"--url '{shown}' has port 0", ADMIN_URL_FIX)


if TYPE_CHECKING:  # click.ParamType is generic from click 8.2 on
    _NumberType: TypeAlias = click.ParamType[float]
    _TextType: TypeAlias = click.ParamType[str]
else:
    _NumberType = _TextType = click.ParamType


class BoundedNumber(_NumberType):
    """A finite number in ``low..high`` (seconds, counts); anything else (``nan``, ``inf``, out of range) is one
    line, exit 2, naming the option and the range."""

    name = "number"

    def __init__(self, low: float, high: float, *, unit: str = "seconds") -> None:
        self.low, self.high, self.unit = low, high, unit

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float) and math.isfinite(value) and self.low <= value <= self.high:
            return value
        option = param.opts[0] if param is not None and param.opts else "the option"
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or not self.low <= number <= self.high:
            shown = str(value)[:40]
            raise MuskoxError(f"{option} {shown!r} is not a number of {self.unit} from {self.low:g} to {self.high:g}",
                              f"give {option} a number in that range", exit_code=ExitCode.USAGE)
        return number


class BoundedText(_TextType):
    """Text of at most ``limit`` characters on one line; longer text is one line, exit 2."""

    name = "text"

    def __init__(self, limit: int, why: str) -> None:
        self.limit, self.why = limit, why

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        option = param.opts[0] if param is not None and param.opts else "the option"
        if len(text) > self.limit:
            raise MuskoxError(f"{option} is {len(text)} characters long; at most {self.limit} are allowed "
                              f"({self.why})", f"shorten {option}", exit_code=ExitCode.USAGE)
        if "\n" in text or "\r" in text:
            raise MuskoxError(f"{option} spans several lines", f"give {option} on one line",
                              exit_code=ExitCode.USAGE)
        return text


#: ``--lock-wait``: seconds, finite, at most a week.
LOCK_WAIT = BoundedNumber(0, 7 * 24 * 3600)
#: ``generate migration --description``: it becomes part of the migration file's name.
DESCRIPTION = BoundedText(120, "it becomes part of the migration file's name")
