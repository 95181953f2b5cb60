"""Who holds the migration lock, since when and until when; and the record format every store writes.

The record is Moose's (spec 9.1): a JSON object ``{"machine_id", "started_at", "expires_at"}`` with RFC 3339 UTC
times. The ``clickhouse`` store writes it base64-encoded, exactly as Moose does, so a Moose migration and a muskox
migration exclude each other; the ``redis`` and ``file`` stores write the JSON as is.

muskox's ``machine_id`` is ``<hostname>:<pid>`` of the process that took the lock (:func:`default_owner`), which
lets ``muskox lock release`` recognise a lock left behind by a dead process on this machine.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

#: Seconds a lock lasts unless renewed (Moose's five minutes).
DEFAULT_LOCK_TTL = 300.0

logger = logging.getLogger("muskox.state")


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def default_owner() -> str:
    """This process's lock owner: ``<hostname>:<pid>``, recorded as the lock's ``machine_id``."""
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def format_time(moment: datetime) -> str:
    """``2026-04-15 10:15:30 UTC``: how lock times are shown to people."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(seconds: float, *, round_up: bool = True) -> str:
    """``4m 12s`` (``1h 2m 3s`` past an hour), rounded up (or down) to a whole second."""
    total = max(0, int(-(-seconds // 1)) if round_up else int(seconds // 1))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an RFC 3339 time string, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    date_part, sep, time_part = text.partition("T")
    if sep and "." in time_part:  # Python keeps at most six fraction digits; chrono writes up to nine
        clock, _, rest = time_part.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        time_part = f"{clock}.{rest[:min(digits, 6)]}{rest[digits:]}"
        text = f"{date_part}T{time_part}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@attrs.frozen(kw_only=True)
class LockInfo:
    """A migration lock as stored: its owner, start and expiry (times are UTC; ``None`` when not recorded).

    ``raw`` is the exact stored value (store-specific encoding); stores compare it for owner-checked changes,
    so a lock is only ever renewed or deleted if it is still exactly the one that was read or written.
    """

    owner: str
    """Moose's ``machine_id``: who took the lock (muskox writes ``<hostname>:<pid>``)."""
    started_at: datetime | None
    """When the lock was first taken (renewals keep it)."""
    expires_at: datetime | None
    """When the lock becomes stale unless renewed; ``None``: it never expires by itself."""
    raw: str | None = attrs.field(default=None, eq=False, repr=False)
    """The value as the store holds it, when known."""

    @classmethod
    def new(cls, owner: str, ttl: float, *, now: datetime | None = None) -> LockInfo:
        """A fresh lock for ``owner`` that expires ``ttl`` seconds from ``now``."""
        if not owner:
            raise ValueError("a lock owner must not be empty")
        if ttl <= 0:
            raise ValueError(f"a lock's ttl must be positive, got {ttl!r}")
        now = now or utc_now()
        return cls(owner=owner, started_at=now, expires_at=now + timedelta(seconds=ttl))

    def renewed(self, ttl: float, *, now: datetime | None = None) -> LockInfo:
        """The same lock (owner, start) expiring ``ttl`` seconds from ``now``."""
        now = now or utc_now()
        return attrs.evolve(self, expires_at=now + timedelta(seconds=ttl), raw=None)

    def with_raw(self, raw: str) -> LockInfo:
        """This lock, remembering the exact value a store holds for it."""
        return attrs.evolve(self, raw=raw)

    def expires_in(self, *, now: datetime | None = None) -> float | None:
        """Seconds until expiry (negative once expired); ``None`` when the lock never expires."""
        if self.expires_at is None:
            return None
        return (self.expires_at - (now or utc_now())).total_seconds()

    def is_stale(self, *, now: datetime | None = None) -> bool:
        """True once the expiry has passed: the next migration may take the lock over."""
        remaining = self.expires_in(now=now)
        return remaining is not None and remaining < 0

    def host_and_pid(self) -> tuple[str, int] | None:
        """``(hostname, pid)`` when the owner is in muskox's ``<hostname>:<pid>`` form, else ``None``."""
        host, sep, pid = self.owner.rpartition(":")
        if not sep or not host or not pid.isdigit():
            return None
        return host, int(pid)

    def describe(self, *, now: datetime | None = None) -> str:
        """``machine <id> (since <UTC time>, expires in 4m 12s)``."""
        since = format_time(self.started_at) if self.started_at else "an unknown time"
        return f"machine {self.owner} (since {since}, {self.describe_expiry(now=now)})"

    def describe_expiry(self, *, now: datetime | None = None) -> str:
        """``expires in 4m 12s``, ``expired 3s ago`` or ``never expires``."""
        remaining = self.expires_in(now=now)
        if remaining is None:
            return "never expires"
        if remaining < 0:
            return f"expired {format_duration(-remaining, round_up=False)} ago"
        return f"expires in {format_duration(remaining)}"

    def to_json(self, *, now: datetime | None = None) -> dict[str, Any]:
        """The lock for ``--json`` output."""
        remaining = self.expires_in(now=now)
        return {
            "machine_id": self.owner,
            "started_at": _rfc3339(self.started_at) if self.started_at else None,
            "expires_at": _rfc3339(self.expires_at) if self.expires_at else None,
            "expires_in_seconds": None if remaining is None else round(remaining, 3),
            "stale": self.is_stale(now=now),
        }


def encode_record(info: LockInfo) -> str:
    """Moose's lock JSON (compact, its field order) for a lock with a start and an expiry."""
    if info.started_at is None or info.expires_at is None:
        raise ValueError("only a lock with a start and an expiry can be written")
    return json.dumps(
        {"machine_id": info.owner, "started_at": _rfc3339(info.started_at), "expires_at": _rfc3339(info.expires_at)},
        separators=(",", ":"),
    )


def decode_record(text: str) -> LockInfo:
    """Read Moose's lock JSON; raises :class:`ValueError` naming what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the lock is not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("the lock is not a JSON object")
    owner = data.get("machine_id")
    if not isinstance(owner, str) or not owner:
        raise ValueError("the lock has no machine_id")
    return LockInfo(owner=owner, started_at=_parse_time(data.get("started_at"), "started_at"),
                    expires_at=_parse_time(data.get("expires_at"), "expires_at"), raw=text)


def encode_record_base64(info: LockInfo) -> str:
    """The lock as the KeeperMap row holds it: base64 (standard alphabet) of :func:`encode_record`."""
    return base64.b64encode(encode_record(info).encode()).decode("ascii")


def decode_record_base64(text: str) -> LockInfo:
    """Read a KeeperMap lock value (base64 of Moose's JSON); raises :class:`ValueError`."""
    try:
        decoded = base64.b64decode(text.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("the lock is not base64-encoded JSON") from None
    return decode_record(decoded).with_raw(text)


def warn_stale_deleted(stale: LockInfo) -> None:
    """Log Moose's warning for a stale lock that a store deleted to take the lock over."""
    expired = format_time(stale.expires_at) if stale.expires_at else "an unknown time"
    logger.warning("Deleted stale migration lock from machine %s (expired at %s)", stale.owner, expired)
