"""The heartbeat: a daemon thread renewing a held lock every ``ttl / 3`` seconds while a migration runs.

A renewal that finds the lock gone (expired and taken over, or force-released) marks the lock lost and stops;
a renewal that fails for another reason (the store is briefly unreachable) is retried at the next beat, until
the lock's expiry has passed, at which point it counts as lost too.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from muskox.state.errors import LockLost
from muskox.state.lock_info import utc_now

if TYPE_CHECKING:
    from muskox.plugin.interfaces import Lock

logger = logging.getLogger("muskox.state")


class Heartbeat:
    """Renews ``lock`` every ``interval`` seconds in a daemon thread, from :meth:`start` until :meth:`stop`."""

    def __init__(self, lock: Lock, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"a heartbeat interval must be positive, got {interval!r}")
        self.lock = lock
        self.interval = interval
        self.beats = 0
        """Successful renewals so far."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"muskox-lock-heartbeat-{lock.info.owner}",
                                        daemon=True)

    def start(self) -> None:
        """Start renewing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing and wait for a renewal in progress to finish. Safe to call twice."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.lock.renew()
            except LockLost as exc:
                logger.error("%s", exc.problem)
                return
            except Exception as exc:  # a store briefly unreachable: retry until the lock would expire
                expires_in = self.lock.info.expires_in(now=utc_now())
                if expires_in is not None and expires_in <= 0:
                    self.lock.mark_lost(LockLost(self.lock.info, f"it could not be renewed before it expired ({exc})"))
                    logger.error("%s", self.lock.lost.problem if self.lock.lost else exc)
                    return
                logger.warning("could not renew the migration lock (%s); retrying in %.1f s", exc, self.interval)
            else:
                self.beats += 1
