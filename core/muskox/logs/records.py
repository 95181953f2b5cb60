"""The records of the command log: their events, how backends emit them, and how they are masked.

A backend (or any muskox code) adds a record by logging through a logger under ``muskox`` with
``extra={EVENT_ATTRIBUTE: {"event": NAME, ...}}``; the CLI's handler writes the dict (with the command's
context added) and nothing else of the log record. The events:

- ``command``: the command touched a server for the first time (``server``: the URL, password masked);
- ``connect``: a connection to ``server`` (only the first one per server is written, as part of ``command``);
- ``statement``: one statement ran: ``sql`` (masked), ``seconds``, ``outcome`` (``ok`` or ``error``) and, on
  error, ``error`` and ``error_code`` (the server's code) and ``error_name``;
- ``dev_cycle``: one ``muskox dev`` cycle: ``cycle``, ``outcome``, ``operations``, ``seconds``;
- ``end``: the command ended: ``exit_code``, ``exit_name``, ``seconds`` and, on failure, ``error``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from muskox.masking import mask_text

#: The ``extra`` key under which a log record carries a command-log event (a dict with an ``event`` key).
EVENT_ATTRIBUTE = "muskox_event"

COMMAND = "command"
CONNECT = "connect"
STATEMENT = "statement"
DEV_CYCLE = "dev_cycle"
END = "end"

_SECRET_KEYS = frozenset({"password", "token", "secret", "api_key", "bearer_token", "sasl_password"})


def utc_now() -> str:
    """The current time as written in records: ``2026-04-15T10:15:30.123Z``."""
    moment = datetime.datetime.now(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime.datetime | None:
    """A record's ``time`` as an aware datetime (None when it is not one)."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def masked(value: Any) -> Any:
    """``value`` with the password of every URL in its strings masked, and values under secret-sounding keys
    replaced by ``****`` (applied to every record before it is written)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {str(key): ("****" if str(key).lower() in _SECRET_KEYS and item is not None else masked(item))
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_text(str(value))
