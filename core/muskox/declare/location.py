"""Where a declaration was made: the first stack frame outside muskox's declaration package."""

from __future__ import annotations

import bisect
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import attrs

from muskox.declare.errors import DeclarationError

_PACKAGE_DIRS = tuple({str(Path(__file__).parent) + os.sep, str(Path(__file__).resolve().parent) + os.sep})
"""This package's directory as written and resolved: frames from here are never the declaration's place."""


@attrs.frozen
class SourceLocation:
    """A file and line in the user's project."""

    file: Path
    line: int

    def relative_file(self, base: Path | None = None) -> str:
        """The file relative to ``base`` (default: the working directory) in POSIX form, else absolute."""
        base = base or Path.cwd()
        return _relative(self.file, base) if base.is_absolute() else _relative.__wrapped__(self.file, base)

    def display(self, base: Path | None = None) -> str:
        """``file:line`` for messages."""
        return f"{self.relative_file(base)}:{self.line}"


@functools.lru_cache(maxsize=1024)
def _relative(file: Path, base: Path) -> str:
    # cached: a project declares many tables per file, and resolving a path costs system calls
    try:
        return file.relative_to(base.resolve()).as_posix()
    except ValueError:
        return file.as_posix()


@functools.lru_cache(maxsize=1024)
def _resolved(filename: str) -> Path:
    return Path(filename).resolve()


_LINE_TABLES: dict[int, tuple[CodeType, list[int], list[int | None]]] = {}


def _line(frame: FrameType) -> int:
    """``frame.f_lineno``, in logarithmic time: CPython finds a frame's line by scanning its code's line table
    from the start, which made declaring N tables in one module cost O(N²) (seconds for 10,000)."""
    code = frame.f_code
    entry = _LINE_TABLES.get(id(code))
    if entry is None or entry[0] is not code:
        if len(_LINE_TABLES) >= 256:
            _LINE_TABLES.clear()
        starts: list[int] = []
        lines: list[int | None] = []
        for start, _end, line in code.co_lines():
            starts.append(start)
            lines.append(line)
        entry = _LINE_TABLES[id(code)] = (code, starts, lines)
    index = bisect.bisect_right(entry[1], frame.f_lasti) - 1
    line = entry[2][index] if index >= 0 else None
    return line if line is not None else frame.f_lineno


def caller_location() -> SourceLocation | None:
    """The innermost frame that is user code (not this package, not a frozen/synthetic frame)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<") and not filename.startswith(_PACKAGE_DIRS):
            path = _resolved(filename) if os.path.isabs(filename) else Path(filename).resolve()  # noqa: PTH117
            return SourceLocation(path, _line(frame))
        frame = frame.f_back  # type: ignore[assignment]
    return None


def prefix(location: SourceLocation | None, base: Path | None = None) -> str:
    """``"file:line: "`` for an error message, or ``""`` when the place is unknown."""
    return "" if location is None else f"{location.display(base)}: "


def placed(error: DeclarationError, location: SourceLocation | None, base: Path | None,
           what: str = "") -> DeclarationError:
    """The same error with ``file:line: what: `` in front of its problem (errors already placed pass unchanged)."""
    if getattr(error, "placed", False):
        return error
    lead = prefix(location, base) + (f"{what}: " if what else "")
    result = DeclarationError(lead + error.problem, error.fix, exit_code=error.exit_code)
    result.placed = True
    return result


def checked(check: Callable[..., Any], *args: Any) -> None:
    """Run ``check(*args)``; a :class:`DeclarationError` it raises gets the caller's ``file:line`` in front."""
    try:
        check(*args)
    except DeclarationError as exc:
        from muskox.declare.registry import display_base  # the registry imports this module

        raise placed(exc, caller_location(), display_base()) from None


def runtime_only(what: str) -> DeclarationError:
    """The error for calling, while muskox collects the declarations, something only the running application does
    (inserting rows, sending messages, querying), placed at the caller's ``file:line``."""
    from muskox.declare.registry import display_base  # the registry imports this module

    error = DeclarationError(
        f"{prefix(caller_location(), display_base())}{what} runs only in the application, not while muskox reads "
        "the declarations", "call it inside a function the application runs (an API handler, a consumer, a "
        "workflow task), not when the module is imported")
    error.placed = True
    return error


def get_source_file_from_stack() -> str | None:
    """The file of the innermost caller outside muskox's declaration package (Moose's helper of that name)."""
    location = caller_location()
    return None if location is None else str(location.file)
