"""Watching the source directory for ``muskox dev``: native file events (watchfiles), bursts grouped.

A background thread runs :func:`watchfiles.watch` on the directory, recursively, and adds the paths that
changed to a pending set; :meth:`SourceWatcher.wait` hands the whole set over at once. So the saves that arrive
while a cycle runs are one set when it ends: they make exactly one more cycle. watchfiles itself groups events
that come within ``step_ms`` of each other. Editors' temporary, backup and swap files, bytecode and tool caches
are ignored (:class:`SourceFilter`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import watchfiles

#: Name patterns of files editors write beside the real one (on top of watchfiles' own list: ``.swp``, ``~``,
#: ``.#name``, JetBrains' ``___jb_…___``, ``flycheck_``, bytecode).
EDITOR_PATTERNS = (
    r"^#.*#$",  # Emacs auto-save
    r"^4913$",  # Vim's probe of whether it may write the directory
    r"\.sw[a-p]x?$",  # Vim swap files
    r"\.(tmp|temp|bak|orig|rej|kate-swp)$",
    r"^\.~",  # LibreOffice and others
    r"^\.goutputstream-",  # GNOME's atomic saves
)
IGNORED_DIRECTORIES = (".muskox", ".ruff_cache", ".nox", ".eggs", "build", "dist")


class SourceFilter(watchfiles.DefaultFilter):
    """watchfiles' default filter (VCS and cache directories, bytecode, swap files) plus editors' temporary
    files and muskox's own directory."""

    def __init__(self) -> None:
        super().__init__(
            ignore_dirs=(*watchfiles.DefaultFilter.ignore_dirs, *IGNORED_DIRECTORIES),
            ignore_entity_patterns=(*watchfiles.DefaultFilter.ignore_entity_patterns, *EDITOR_PATTERNS),
        )


def _relevant(path: str) -> bool:
    """A path that exists (created or changed), or a Python module that was deleted; not a temporary file that
    came and went (``sed -i``'s, an editor's scratch copy under an unlisted name)."""
    return path.endswith(".py") or Path(path).exists()


class SourceWatcher:
    """Watches ``root`` recursively in a background thread and collects the paths that changed.

    :param step_ms: events closer than this are grouped into one set.
    :param debounce_ms: the longest a group may grow before it is handed over.
    """

    def __init__(self, root: Path, *, step_ms: int = 30, debounce_ms: int = 400) -> None:
        self.root = root
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self._pending: set[str] = set()
        self._condition = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._watch, name="muskox-dev-watch", daemon=True)

    def start(self) -> None:
        """Start watching; returns once the watcher is registered with the system (a save made after this
        returns is seen). Raises what watchfiles raised (e.g. the directory does not exist)."""
        self._thread.start()
        while not self._ready.wait(0.2):
            pass
        if self._error is not None:
            raise self._error

    def _watch(self) -> None:
        try:
            for changes in watchfiles.watch(self.root, watch_filter=SourceFilter(), debounce=self.debounce_ms,
                                            step=self.step_ms, stop_event=self._stop, rust_timeout=200,
                                            yield_on_timeout=True, raise_interrupt=False):
                self._ready.set()  # the first yield (a timeout, at the latest) comes after the watch started
                relevant = {path for _change, path in changes if _relevant(path)}
                if relevant:
                    self._add(relevant)
        except BaseException as exc:  # handed to the main thread by start() or wait()
            self._error = exc
        finally:
            self._ready.set()
            with self._condition:
                self._condition.notify_all()

    def _add(self, paths: set[str]) -> None:
        with self._condition:
            self._pending |= paths
            self._condition.notify_all()

    def wait(self, poll: float = 0.5) -> set[Path]:
        """Block until something changed and return every path changed since the last call (an empty set
        once the watcher stopped). Ctrl-C interrupts the wait (``poll`` bounds each inner wait)."""
        with self._condition:
            while not self._pending and not self._stop.is_set() and self._error is None:
                self._condition.wait(poll)
            if self._error is not None and not self._pending:
                raise self._error
            changed, self._pending = self._pending, set()
        return {Path(path) for path in changed}

    def stop(self) -> None:
        """Stop watching and wait for the thread to end. Safe to call twice."""
        self._stop.set()
        with self._condition:
            self._condition.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> SourceWatcher:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
