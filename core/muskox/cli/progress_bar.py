"""The progress of ``migrate`` on a terminal: the ``[i/N]`` lines scroll, a bar below them counts finished
operations.

:class:`StatusLines` is what ``migrate`` prints through: every status line goes to stderr (credentials
masked). When stderr is a terminal (and neither ``TERM=dumb`` nor ``-v``, whose log lines would tear it), a
one-line bar is kept under the last line while operations run, redrawn in place, and erased when the last one
has finished. Lines come from the executor's threads: one lock orders all writes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from muskox.masking import mask_text

_ERASE = "\r\x1b[K"
BAR_WIDTH = 30


def render_bar(finished: int, total: int, seconds: float, width: int = BAR_WIDTH) -> str:
    """``[=========>          ]  57/200 operations  3.2 s``."""
    filled = width if total <= 0 else min(width, finished * width // total)
    arrow = ">" if 0 < filled < width else ""
    body = ("=" * filled + arrow)[:width].ljust(width)
    return f"[{body}] {finished:>{len(str(total))}}/{total} operations  {seconds:.1f} s"


class StatusLines:
    """Status lines on ``stream``, with a progress bar below them when ``bar`` is set (see the module)."""

    def __init__(self, stream: TextIO, *, quiet: bool = False, bar: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.bar = bar and not quiet
        self._lock = threading.Lock()
        self._shown = ""
        self._started: float | None = None

    @classmethod
    def for_stderr(cls, *, verbosity: int) -> StatusLines:
        """Lines on stderr; the bar when stderr is a terminal that can redraw a line and logs are off."""
        stream = sys.stderr
        terminal = stream.isatty() and os.environ.get("TERM", "") != "dumb"
        return cls(stream, quiet=verbosity < 0, bar=terminal and verbosity == 0)

    def line(self, text: str) -> None:
        """Print one status line (above the bar, when one is shown)."""
        if self.quiet:
            return
        with self._lock:
            erase = _ERASE if self._shown else ""
            self.stream.write(f"{erase}{mask_text(text)}\n{self._shown}")
            self.stream.flush()

    def advanced(self, finished: int, total: int) -> None:
        """``finished`` of ``total`` operations have ended: redraw the bar, or erase it after the last."""
        if not self.bar:
            return
        with self._lock:
            now = time.monotonic()
            if self._started is None:
                self._started = now
            self._shown = "" if finished >= total else render_bar(finished, total, now - self._started)
            self.stream.write(_ERASE + self._shown)
            self.stream.flush()
            if finished >= total:
                self._started = None
