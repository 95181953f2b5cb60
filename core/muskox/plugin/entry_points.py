"""The installed ``muskox`` entry points, read from the installed distributions' metadata on every command.

Nothing is remembered between commands: what is installed now is what loads (an entry-point cache could
disagree with an edited or reinstalled distribution).
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import importlib.metadata

__all__ = ["FoundEntryPoint", "installed_entry_points"]

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
        if dist is None:
            return cls(entry_point.name, entry_point.value, "?", "?")
        metadata = dist.metadata  # parsed anew on every access: read it once
        return cls(entry_point.name, entry_point.value, metadata["Name"], metadata["Version"])

    def load(self) -> Any:
        """Import the module and return the named object (the module itself when no attribute is named)."""
        module_name, _, attribute = _EXTRAS.sub("", self.value).partition(":")
        found: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found


def installed_entry_points(group: str) -> list[FoundEntryPoint]:
    """The entry points of ``group`` that the installed distributions declare."""
    import importlib.metadata

    return [FoundEntryPoint.from_metadata(ep) for ep in importlib.metadata.entry_points(group=group)]
