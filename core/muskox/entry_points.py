"""The installed ``muskox`` entry points, remembered between commands while nothing was installed or removed.

Finding entry points means importing :mod:`importlib.metadata` and reading every installed distribution's
metadata: a fifth of the start-up of a small command. :func:`installed_entry_points` keeps the answer in
``$XDG_CACHE_HOME/muskox/entry_points.json`` under a key made of the interpreter, ``sys.path`` and the
modification time of every directory on it (installing, upgrading or removing a package adds or removes a
``*.dist-info`` directory, which changes its directory's time). A missing, stale or unreadable file only means
reading the metadata as before.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from muskox.caches import cache_root, write_cache_file

if TYPE_CHECKING:
    import importlib.metadata

__all__ = ["FoundEntryPoint", "installed_entry_points"]

_FORMAT = "muskox-entry-points-1"
_EXTRAS = re.compile(r"\s*\[.*\]\s*$")


class FoundEntryPoint(NamedTuple):
    """One entry point: its name, ``module:attribute`` value, and the distribution that declares it."""

    name: str
    value: str
    distribution: str
    version: str

    @classmethod
    def from_metadata(cls, entry_point: importlib.metadata.EntryPoint) -> FoundEntryPoint:
        """From :mod:`importlib.metadata` (``?`` for the distribution of an entry point without one)."""
        dist = entry_point.dist
        name = dist.metadata["Name"] if dist is not None else "?"
        return cls(entry_point.name, entry_point.value, name, dist.version if dist is not None else "?")

    def load(self) -> Any:
        """Import the module and return the named object (the module itself when no attribute is named)."""
        module_name, _, attribute = _EXTRAS.sub("", self.value).partition(":")
        found: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found


def _key(group: str) -> str:
    parts: list[object] = [_FORMAT, group, sys.version, sys.executable]
    for entry in sys.path:
        try:
            parts.append((entry, Path(entry or os.curdir).stat().st_mtime_ns))
        except OSError:
            parts.append((entry, None))
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def installed_entry_points(group: str) -> list[FoundEntryPoint]:
    """The entry points of ``group`` that the installed distributions declare."""
    key = _key(group)
    path = cache_root() / "entry_points.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            return [FoundEntryPoint(*item) for item in stored["entry_points"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    import importlib.metadata

    found = [FoundEntryPoint.from_metadata(ep) for ep in importlib.metadata.entry_points(group=group)]
    write_cache_file(path, json.dumps({"key": key, "entry_points": [list(ep) for ep in found]}).encode())
    return found
