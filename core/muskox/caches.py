"""Where muskox keeps derived files (compiled project code, collected declarations, entry points), and how it
writes them: ``$XDG_CACHE_HOME/muskox`` (``~/.cache/muskox`` when the variable is unset), each file replaced
atomically. Everything there can be deleted at any time; a problem writing it only costs the next command time.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root", "write_cache_file"]


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/muskox`` (``~/.cache/muskox`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path("~/.cache").expanduser()) / "muskox"


def write_cache_file(entry: Path, data: bytes) -> None:
    """Write the cache file ``entry`` atomically; a failure leaves the cache as it was (what would have been
    cached was computed anyway)."""
    import tempfile  # only when writing: most commands find what they need

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        temporary = Path(name)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            temporary.replace(entry)
        except BaseException:
            temporary.unlink()
            raise
    except OSError:
        pass
