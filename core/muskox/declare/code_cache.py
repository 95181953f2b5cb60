"""The compiled code of a project's modules, kept under ``<project>/.muskox/cache/code`` by a hash of the source.

Compiling a large declarations module costs a noticeable part of every command (about 70 ms for 2,000 tables),
and Python's own bytecode files are no option: they would be written into the project's directories, and they are
validated by modification time and size, which a quick rewrite can keep. Here a compiled module is found by the
SHA-256 of everything its code depends on — the source bytes, the file's path (code objects carry it), the
interpreter's bytecode version and its optimization level — so a stale entry can never be found: any edit gives
another key. Nothing else is remembered; an entry that cannot be read or written is simply compiled again.

The directory holds at most :data:`KEPT` entries (the oldest are removed first).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import CodeType

__all__ = ["KEPT", "CodeCache", "code_cache_dir"]

KEPT = 256
"""Entries kept per project: one per module of a large project, and a ``muskox dev`` session writes one per saved
version of a module."""

_HEADER = b"muskox-code\0" + importlib.util.MAGIC_NUMBER
_CHECKSUM = 32
"""An entry is the header, the SHA-256 of the marshalled code (a damaged entry is never loaded), and the code."""
_SUFFIX = ".code"


def code_cache_dir(project: Path) -> Path:
    """Where the compiled modules of ``project`` are kept."""
    return project / ".muskox" / "cache" / "code"


class CodeCache:
    """Compiled module code by a hash of its source; reading and writing failures only cost a compilation."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._written = False

    def code(self, source: bytes, path: str, compile_source: Callable[[bytes, str], CodeType]) -> CodeType:
        """The code of ``source`` (the module at ``path``): the kept compilation, else ``compile_source``'s."""
        entry = self.directory / (self._key(source, path) + _SUFFIX)
        try:
            data = entry.read_bytes()
        except OSError:
            data = b""
        start = len(_HEADER) + _CHECKSUM
        if data.startswith(_HEADER) and data[len(_HEADER):start] == hashlib.sha256(data[start:]).digest():
            try:
                code = marshal.loads(data[start:])
            except (ValueError, EOFError, TypeError):
                code = None
            if isinstance(code, CodeType) and code.co_filename == path:
                return code
        code = compile_source(source, path)
        payload = marshal.dumps(code)
        self._store(entry, _HEADER + hashlib.sha256(payload).digest() + payload)
        return code

    @staticmethod
    def _key(source: bytes, path: str) -> str:
        digest = hashlib.sha256()
        for part in (_HEADER, sys.implementation.cache_tag or "", str(sys.flags.optimize), path):
            digest.update(str(part).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(source)
        return digest.hexdigest()

    def _store(self, entry: Path, data: bytes) -> None:
        """Write ``entry`` atomically (a reader sees all of it or nothing); give up quietly when that fails."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                Path(temporary).replace(entry)
            except BaseException:
                with contextlib.suppress(OSError):
                    Path(temporary).unlink()
                raise
        except OSError:
            return
        if not self._written:
            self._written = True
            self._prune()

    def _prune(self) -> None:
        """Keep the :data:`KEPT` most recently written entries."""
        try:
            entries = [(item.stat().st_mtime_ns, item) for item in self.directory.iterdir()
                       if item.name.endswith(_SUFFIX)]
        except OSError:
            return
        entries.sort(reverse=True)
        for _, item in entries[KEPT:]:
            with contextlib.suppress(OSError):
                item.unlink()
