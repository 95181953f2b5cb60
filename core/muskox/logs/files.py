"""The log directory: one JSON-lines file a day (``muskox-2026-04-15.jsonl``), kept 7 days, bounded in size.

A day's file that reaches ``max_file_bytes`` continues in numbered parts (``muskox-2026-04-15.1.jsonl``, …).
Whenever a command starts writing, and whenever it moves to another file, files older than ``keep_days`` are
deleted, then the oldest ones until the directory holds at most ``max_total_bytes``. Lines are appended with
one ``write`` on a file opened in append mode, so concurrent commands (``dev`` and a ``migrate`` beside it)
never interleave inside a line.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
from pathlib import Path

import attrs

#: Where a project's logs live, relative to the project directory.
LOG_DIR = Path(".muskox") / "logs"
KEEP_DAYS = 7
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024

_NAME = re.compile(r"^muskox-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$")


def log_dir(project_dir: Path) -> Path:
    """``<project>/.muskox/logs``."""
    return project_dir / LOG_DIR


@attrs.frozen(order=True)
class LogFile:
    """One file of the directory: the day it covers and its part number (0 for the first)."""

    day: datetime.date
    part: int
    path: Path = attrs.field(order=False)


def file_name(day: datetime.date, part: int) -> str:
    """``muskox-<day>.jsonl`` for part 0, ``muskox-<day>.<part>.jsonl`` after it."""
    return f"muskox-{day.isoformat()}.jsonl" if part == 0 else f"muskox-{day.isoformat()}.{part}.jsonl"


class LogDirectory:
    """The log files of one project (see the module): appending, pruning and listing.

    :param directory: the directory (created on the first append).
    :param keep_days: days of files kept (today included).
    :param max_file_bytes: the size at which a day's file continues in a new part.
    :param max_total_bytes: the most the directory may hold after pruning.
    """

    def __init__(self, directory: Path, *, keep_days: int = KEEP_DAYS, max_file_bytes: int = MAX_FILE_BYTES,
                 max_total_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.directory = directory
        self.keep_days = keep_days
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self._current: Path | None = None
        """The file the last line went to, and its day."""
        self._current_day: datetime.date | None = None

    def files(self) -> list[LogFile]:
        """The log files, oldest first (other files in the directory are ignored)."""
        found: list[LogFile] = []
        try:
            entries = list(self.directory.iterdir())
        except OSError:
            return []
        for path in entries:
            match = _NAME.match(path.name)
            if match is None:
                continue
            try:
                day = datetime.date.fromisoformat(match.group(1))
            except ValueError:
                continue
            found.append(LogFile(day, int(match.group(2) or 0), path))
        return sorted(found)

    def append(self, line: str, today: datetime.date) -> Path:
        """Append ``line`` (one JSON object, without its newline) to today's file; returns the file written.

        The directory is listed only when the day starts, the current file fills up (its size is read from the
        open file: another command may have written to it) or has disappeared; else a line costs an ``open``, a
        ``fstat`` and a ``write``."""
        data = (line + "\n").encode("utf-8")
        current = self._current if self._current_day == today else None
        fd = self._open(current, len(data)) if current is not None else None
        path = current if fd is not None and current is not None else self._file_for(today, len(data))
        if fd is None:
            if path != self._current:
                self._current, self._current_day = path, today
                self.prune(today, keep=path)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return path

    def _open(self, path: Path, size: int) -> int | None:
        """``path`` opened for appending when it still exists and has room for ``size`` more bytes, else None."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except OSError:
            return None
        try:
            used = os.fstat(fd).st_size
        except OSError:
            used = self.max_file_bytes
        if used > 0 and used + size > self.max_file_bytes:
            os.close(fd)
            return None
        return fd

    def _file_for(self, today: datetime.date, size: int) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        parts = [f for f in self.files() if f.day == today]
        part = parts[-1].part if parts else 0
        path = self.directory / file_name(today, part)
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size > 0 and path.stat().st_size + size > self.max_file_bytes:
                path = self.directory / file_name(today, part + 1)
        return path

    def prune(self, today: datetime.date, keep: Path | None = None) -> list[Path]:
        """Delete files older than ``keep_days``, then the oldest until the total fits (never ``keep``);
        returns what was deleted."""
        oldest_kept = today - datetime.timedelta(days=self.keep_days - 1)
        deleted: list[Path] = []
        remaining: list[tuple[LogFile, int]] = []
        for log_file in self.files():
            if log_file.day < oldest_kept and log_file.path != keep:
                deleted.append(log_file.path)
                continue
            try:
                remaining.append((log_file, log_file.path.stat().st_size))
            except OSError:
                continue
        total = sum(size for _, size in remaining)
        for log_file, size in remaining:
            if total <= self.max_total_bytes:
                break
            if log_file.path == keep:
                continue
            deleted.append(log_file.path)
            total -= size
        for path in deleted:
            with contextlib.suppress(OSError):
                path.unlink()
        return deleted
