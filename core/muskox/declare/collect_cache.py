"""A project's collected declarations, reused while nothing they came from has changed (``muskox plan``).

Importing a project's code, and the libraries it uses (pydantic first), is most of the time of ``muskox plan``
on a small project. A collection made with ``reuse=True`` (see :func:`muskox.declare.collect_project`) records
everything its result may depend on:

- its inputs: the project, source directory and main module, the default database and topic namespace,
  muskox's version, the interpreter, ``sys.path`` and the whole environment (all hashed into the entry's key);
- every file the import read (the source of each module it imported, libraries and muskox included, and every
  file opened while it ran, seen through an audit hook) with its size and modification time, and every
  directory listed (the import system lists each directory it searches) with its modification time.

The next such collection with the same inputs checks those files (a few hundred ``stat`` calls) and returns the
stored map when none changed; otherwise it imports the code as usual and records again. What is not tracked:
code that asks whether a file exists without opening or listing it, the clock, randomness, the network.
Entries live in ``$XDG_CACHE_HOME/muskox/collected`` (one per key, the newest :data:`MAX_ENTRIES` kept). A
damaged entry, or any problem with the directory, only means importing the code as usual.
``muskox generate migration`` and ``muskox migrate`` always import the code.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from muskox._version import __version__
from muskox.caches import cache_root, write_cache_file
from muskox.model.infra_map import InfraMap

__all__ = ["Dependencies", "entry_key", "load", "recording", "store"]

_FORMAT = b"muskox-collected-1"
_MISSING = (-1, -1, "")

Signature = tuple[int, int, str]
"""``(mtime_ns, size, content hash)`` of a file (the hash only inside the project, where a file rewritten within
one clock tick must not look unchanged), ``(mtime_ns, -2, "")`` of a directory, :data:`_MISSING` when absent."""


def entry_key(**inputs: str | None) -> str:
    """The key of the entry for these collection inputs (plus version, interpreter, ``sys.path``, env)."""
    digest = hashlib.blake2b(_FORMAT, digest_size=20)
    parts: list[Any] = [__version__, sys.version, sys.executable, sys.path, sorted(inputs.items()),
                        sorted(os.environ.items())]
    digest.update(repr(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _signature(path: str, project: str) -> Signature:
    try:
        status = Path(path).stat()
    except (OSError, ValueError):
        return _MISSING
    if stat.S_ISDIR(status.st_mode):
        return status.st_mtime_ns, -2, ""
    content = ""
    if path.startswith(project):
        try:
            content = hashlib.blake2b(Path(path).read_bytes(), digest_size=16).hexdigest()
        except OSError:
            return _MISSING
    return status.st_mtime_ns, status.st_size, content


class Dependencies:
    """The files and directories one collection read, each with its signature when first seen (before it was
    read: a file changed while the code ran does not match)."""

    def __init__(self, project: Path) -> None:
        self.project = str(project) + os.sep
        self.signatures: dict[str, Signature] = {}
        self._derived = str(cache_root()) + os.sep  # muskox's own caches: derived, not inputs

    def add(self, path: Any) -> None:
        """Note a path an audit event or a module named (file descriptors and non-paths are ignored)."""
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if isinstance(path, str | os.PathLike):
            absolute = str(Path(os.fspath(path)).absolute())
            if absolute not in self.signatures and not absolute.startswith(self._derived):
                self.signatures[absolute] = _signature(absolute, self.project)

    def add_modules(self, names: set[str]) -> None:
        """Note the source (and compiled) file of each module named."""
        for name in names:
            module = sys.modules.get(name)
            for attribute in ("__file__", "__cached__"):
                location = getattr(module, attribute, None)
                if isinstance(location, str):
                    self.add(location)


_recording: Dependencies | None = None
_hook_lock = threading.Lock()
_hook_installed = False

_AUDITED = frozenset({"open", "os.listdir", "os.scandir"})


_inside_hook = threading.local()


def _audit(event: str, arguments: tuple[Any, ...]) -> None:
    if event not in _AUDITED or _recording is None or not arguments or getattr(_inside_hook, "active", False):
        return
    _inside_hook.active = True  # reading a file to sign it raises the same events: not noted again
    try:
        _recording.add(arguments[0])
    finally:
        _inside_hook.active = False


@contextmanager
def recording(project: Path) -> Iterator[Dependencies]:
    """While the block runs, note every file opened and directory listed (in any thread: extra paths only
    make the entry stricter)."""
    global _recording, _hook_installed
    with _hook_lock:
        if not _hook_installed:  # an audit hook cannot be removed: one, idle outside this block
            sys.addaudithook(_audit)
            _hook_installed = True
    dependencies = Dependencies(project)
    _recording = dependencies
    try:
        yield dependencies
    finally:
        _recording = None


def _entry_path(key: str) -> Path:
    return cache_root() / "collected" / f"{key}.pickle"


def load(key: str, project: Path) -> InfraMap | None:
    """The stored map for ``key`` (a collection of ``project``) if every file it depends on is unchanged;
    else None."""
    try:
        data = _entry_path(key).read_bytes()
    except OSError:
        return None
    try:
        stored = pickle.loads(data)
        if not (isinstance(stored, tuple) and len(stored) == 3 and stored[0] == _FORMAT):
            return None
        _, signatures, infra_map = stored
        if not isinstance(infra_map, InfraMap) or not isinstance(signatures, dict):
            return None
    except Exception:  # a damaged or foreign entry is a miss, never an error
        return None
    inside = str(project) + os.sep
    for path, signature in signatures.items():
        if _signature(path, inside) != signature:
            return None
    return infra_map


def store(key: str, dependencies: Dependencies, infra_map: InfraMap) -> None:
    """Store ``infra_map`` with the signatures of its dependencies (a failure leaves no entry)."""
    muskox_modules = {name for name in sys.modules if name == "muskox" or name.startswith("muskox.")}
    dependencies.add_modules(muskox_modules)
    for entry in sys.path:  # a package installed since (an optional import that would now succeed)
        dependencies.add(entry or os.curdir)
    try:
        data = pickle.dumps((_FORMAT, dependencies.signatures, infra_map), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # something in the map does not pickle: no entry
        return
    path = _entry_path(key)
    write_cache_file(path, data)
    _prune(path.parent)


#: Entries kept (one per project, database and environment seen): the oldest beyond this are deleted.
MAX_ENTRIES = 64


def _prune(directory: Path) -> None:
    """Delete the least recently written entries beyond :data:`MAX_ENTRIES` (errors ignored: another
    process may be doing the same)."""
    try:
        entries = sorted(directory.glob("*.pickle"), key=lambda entry: entry.stat().st_mtime_ns)
    except OSError:
        return
    for entry in entries[:-MAX_ENTRIES]:
        entry.unlink(missing_ok=True)
