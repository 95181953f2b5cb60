"""Reading the command log back: every record in order, filtered by age and text, and following new ones."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.logs.files import LogDirectory
from muskox.logs.records import parse_time

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str) -> datetime.timedelta:
    """``90s``, ``15m``, ``2h``, ``1d``, ``1h30m`` (a bare number is seconds) as a timedelta.

    :raises MuskoxError: (exit 2) for anything else.
    """
    spec = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", spec):
        return datetime.timedelta(seconds=float(spec))
    position, seconds = 0, 0.0
    for match in _DURATION_PART.finditer(spec):
        if spec[position:match.start()].strip():
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        position = match.end()
    if position == 0 or spec[position:].strip():
        raise MuskoxError(f"'{text}' is not a duration", "write it like 30s, 15m, 2h, 1d or 1h30m",
                          exit_code=ExitCode.USAGE)
    return datetime.timedelta(seconds=seconds)


@attrs.frozen
class RecordFilter:
    """Which records to show: newer than ``since`` (None: all), with ``text`` (case-insensitive) in one of the
    record's values. Keys and the timestamp are not searched: ``--filter t1`` must not match every record
    written between 10:00 and 19:59 through the ``T1`` of its ISO time (``--since`` filters by time)."""

    since: datetime.datetime | None = None
    text: str | None = None

    def accepts(self, record: dict[str, Any]) -> bool:
        """True when the record passes both conditions."""
        if self.since is not None:
            moment = parse_time(str(record.get("time", "")))
            if moment is None or moment < self.since:
                return False
        if self.text is None:
            return True
        needle = self.text.lower()
        return any(needle in text.lower() for key, value in record.items() if key != "time"
                   for text in _value_texts(value))


def _value_texts(value: Any) -> Iterator[str]:
    """The texts a record's value shows: itself, or those of its items (keys of nested mappings excluded)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _value_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _value_texts(item)
    elif value is not None:
        yield str(value)


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class LogReader:
    """Reads the records of a :class:`LogDirectory` and remembers how far each file was read, so
    :meth:`new_records` returns only what was appended since (follow mode)."""

    def __init__(self, directory: LogDirectory, record_filter: RecordFilter) -> None:
        self.directory = directory
        self.filter = record_filter
        self._offsets: dict[Path, int] = {}

    def new_records(self) -> Iterator[dict[str, Any]]:
        """Every complete, accepted record not returned before, oldest file first (a line still being written
        is left for the next call)."""
        oldest = self.filter.since.date() if self.filter.since is not None else None
        for log_file in self.directory.files():
            if oldest is not None and log_file.day < oldest:
                continue
            yield from self._read(log_file.path)

    def _read(self, path: Path) -> Iterator[dict[str, Any]]:
        offset = self._offsets.get(path, 0)
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except OSError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        self._offsets[path] = offset + end + 1
        for raw in data[:end].split(b"\n"):
            line = raw.decode("utf-8", errors="replace")
            record = _parse(line)
            if record is not None and self.filter.accepts(record):
                yield record


def follow(reader: LogReader, show: Callable[[dict[str, Any]], None], *, timeout_ms: int = 1000) -> None:
    """Show the records appended from now on, as they come (watching the directory), until interrupted."""
    import watchfiles

    reader.directory.directory.mkdir(parents=True, exist_ok=True)
    for _changes in watchfiles.watch(reader.directory.directory, debounce=50, step=20, rust_timeout=timeout_ms,
                                     yield_on_timeout=True):
        for record in reader.new_records():  # also on timeouts: catches what came before the watcher started
            show(record)
