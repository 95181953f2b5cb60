"""The known failures of state stores and locks."""

from __future__ import annotations

from datetime import datetime

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.state.lock_info import LockInfo, format_time

FORCE_RELEASE = "muskox lock release --force"


class LockHeld(MuskoxError):
    """Another migration holds the lock: names the holder, its start and its expiry."""

    exit_code = ExitCode.LOCK_HELD

    def __init__(self, holder: LockInfo | None, *, now: datetime | None = None, problem: str | None = None,
                 fix: str | None = None) -> None:
        self.holder = holder
        if problem is None:
            problem = (f"Migration already in progress on {holder.describe(now=now)}" if holder is not None
                       else "Migration already in progress (the lock changed hands while it was being taken)")
        if fix is None:
            if holder is not None and holder.expires_at is not None:
                fix = (f"wait for that migration to finish (its lock expires by itself at "
                       f"{format_time(holder.expires_at)}), or, if it died, run `{FORCE_RELEASE}`")
            else:
                fix = f"wait for that migration to finish, or, if it died, run `{FORCE_RELEASE}`"
        super().__init__(problem, fix)


class LockLost(MuskoxError):
    """The lock this process held expired or was taken by someone else (renewal or release found it gone)."""

    exit_code = ExitCode.LOCK_HELD

    def __init__(self, held: LockInfo, reason: str) -> None:
        self.held = held
        super().__init__(
            f"lost the migration lock of {held.owner}: {reason}; another migration may have run at the same time",
            "check `muskox lock status`, then re-run the migration: it checks for drift before changing anything",
        )


class StateError(MuskoxError):
    """The stored state or applied list cannot be read (corrupt, or written in a format muskox does not know)."""

    exit_code = ExitCode.STATE_INVALID
