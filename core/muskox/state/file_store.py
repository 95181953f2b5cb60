"""The built-in ``file`` state store: the state, the applied list and the lock as files in a local directory.

For local development: the directory (``[state_config] path``, default ``<project>/.muskox/state``) survives
restarts of the embedded ClickHouse, whose KeeperMap data does not. Files:

- ``infra_map.json``: the last saved state (:mod:`muskox.state.encoding`), replaced atomically (temp file + rename);
- ``applied_migrations.json``: the applied list, a JSON array, replaced the same way;
- ``history.jsonl``: the migration history, one JSON entry a line (:mod:`muskox.apply.history`);
- ``migration_lock.json``: the lock (Moose's record, :mod:`muskox.state.lock_info`), created with ``O_EXCL``;
- ``.guard``: an empty file whose ``flock`` serialises every change to the lock and the applied list between
  processes, so checking and replacing the lock is one atomic step.

Processes sharing the directory must run on one machine (``flock`` is not reliable on network file systems).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Self

from muskox.errors import ConnectionFailed
from muskox.plugin.interfaces import HISTORY_KEPT, Lock, StateStore
from muskox.state.encoding import append_applied, decode_applied, decode_state, encode_applied, encode_state
from muskox.state.errors import LockHeld, StateError
from muskox.state.lock_info import DEFAULT_LOCK_TTL, LockInfo, decode_record, encode_record, warn_stale_deleted

if TYPE_CHECKING:
    from muskox.config import Config
    from muskox.model import InfraMap
    from muskox.plugin.dialect import Dialect

logger = logging.getLogger("muskox.state")

STATE_FILE = "infra_map.json"
APPLIED_FILE = "applied_migrations.json"
LOCK_FILE = "migration_lock.json"
GUARD_FILE = ".guard"
HISTORY_FILE = "history.jsonl"
HISTORY_MAX_BYTES = 32 * 1024 * 1024


class FileStateStore(StateStore):
    """State, applied list and migration lock in a local directory (``[state_config] path``)."""

    description = "files in a local directory ([state_config] path, default <project>/.muskox/state)"

    def __init__(self, directory: Path, *, dialect: Dialect) -> None:
        self.directory = directory
        self.dialect = dialect
        """The OLAP backend's dialect, which the stored map's types are written in."""

    @classmethod
    def from_config(cls, config: Config, *, dialect: Dialect, project_dir: Path | None = None) -> Self:
        """The directory ``[state_config] path``; a relative path is resolved against ``project_dir``
        (default: the config file's directory, else the current directory)."""
        path = Path(config.state_config.path).expanduser()
        if not path.is_absolute():
            if project_dir is None:
                project_dir = Path(config.source).parent if config.source else Path.cwd()
            path = project_dir / path
        return cls(path, dialect=dialect)

    def where(self) -> str:
        """``directory <path>``."""
        return f"directory {self.directory}"

    def ping(self) -> None:
        """Create the directory if needed and check that it is writable; else :class:`ConnectionFailed`."""
        with self._io("create the state directory"):
            self.directory.mkdir(parents=True, exist_ok=True)
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise ConnectionFailed(f"the state directory {self.directory} is not writable",
                                   "fix its permissions, or point [state_config] path at a writable directory")

    def close(self) -> None:
        """Nothing to close."""

    # -- state -------------------------------------------------------------------------------------------

    def load_state(self) -> InfraMap | None:
        """The state in ``infra_map.json``, or ``None`` when the file does not exist."""
        path = self.directory / STATE_FILE
        with self._io("read the stored state"):
            text = _read(path)
        return None if text is None else decode_state(text, self.dialect, where=str(path))

    def save_state(self, infra: InfraMap) -> None:
        """Replace ``infra_map.json`` atomically."""
        with self._io("save the state"):
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.directory / STATE_FILE, encode_state(infra, self.dialect))

    def applied_migrations(self) -> list[str]:
        """The ids in ``applied_migrations.json`` (empty when the file does not exist)."""
        path = self.directory / APPLIED_FILE
        with self._io("read the applied migrations"):
            text = _read(path)
        return [] if text is None else decode_applied(text, where=str(path))

    def record_applied(self, migration_id: str) -> None:
        """Append ``migration_id`` to ``applied_migrations.json`` (under the guard, replaced atomically)."""
        path = self.directory / APPLIED_FILE
        with self._io("record an applied migration"), self._guard():
            text = _read(path)
            updated = append_applied([] if text is None else decode_applied(text, where=str(path)), migration_id)
            if updated is not None:
                _write_atomically(path, encode_applied(updated))

    # -- the history ---------------------------------------------------------------------------------------

    def append_history(self, entry: str) -> None:
        """Append ``entry`` as one line of ``history.jsonl`` (under the guard); once the file passes
        :data:`HISTORY_MAX_BYTES` it is rewritten with its newest :data:`HISTORY_KEPT` lines."""
        path = self.directory / HISTORY_FILE
        line = " ".join(entry.splitlines()) + "\n"
        with self._io("record the migration history"), self._guard():
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line)
            if path.stat().st_size > HISTORY_MAX_BYTES:
                lines = (_read(path) or "").splitlines(keepends=True)
                _write_atomically(path, "".join(lines[-HISTORY_KEPT:]))

    def history(self, limit: int = HISTORY_KEPT) -> list[str]:
        """The newest ``limit`` lines of ``history.jsonl``, oldest first."""
        with self._io("read the migration history"):
            text = _read(self.directory / HISTORY_FILE)
        lines = [line for line in (text or "").splitlines() if line.strip()]
        return lines[-limit:] if limit > 0 else []

    # -- the lock ----------------------------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        """The lock file, ``<directory>/migration_lock.json``."""
        return self.directory / LOCK_FILE

    def acquire_lock(self, owner: str, ttl: float = DEFAULT_LOCK_TTL) -> FileLock:
        """Create the lock file (``O_EXCL``) for ``owner``; a stale or unreadable lock file is replaced."""
        new = LockInfo.new(owner, ttl)
        text = encode_record(new)
        with self._io("take the migration lock"), self._guard():
            raw = _read(self.lock_path)
            if raw is not None:
                current = _decode_lock(raw)
                if current.started_at is not None and not current.is_stale():
                    raise LockHeld(current)
                self.lock_path.unlink()
                if current.started_at is None:  # only a process killed while writing it leaves this behind
                    logger.warning("Deleted unreadable migration lock file %s", self.lock_path)
                else:
                    warn_stale_deleted(current)
            try:
                fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:  # a writer that ignores the guard
                raise LockHeld(_decode_lock(_read(self.lock_path) or "")) from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        return FileLock(self, new.with_raw(text), ttl)

    def lock_status(self) -> LockInfo | None:
        """The lock file's record, or ``None`` when there is no lock file."""
        with self._io("read the migration lock"), self._guard():
            raw = _read(self.lock_path)
        return None if raw is None else _decode_lock(raw)

    def force_release_lock(self, expected: LockInfo | None = None) -> LockInfo | None:
        """Delete the lock file (only if it still holds ``expected``, when given); return what was deleted."""
        with self._io("release the migration lock"), self._guard():
            raw = _read(self.lock_path)
            if raw is None or (expected is not None and raw != expected.raw):
                return None
            self.lock_path.unlink()
        return _decode_lock(raw)

    def swap_lock(self, current: LockInfo, new: LockInfo) -> str | None:
        """Replace the lock file by ``new`` if it still holds ``current``; the text written, or ``None``."""
        text = encode_record(new)
        with self._io("renew the migration lock"), self._guard():
            if _read(self.lock_path) != current.raw:
                return None
            _write_atomically(self.lock_path, text)
        return text

    # -- helpers -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / GUARD_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    @contextlib.contextmanager
    def _io(self, what: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise ConnectionFailed(
                f"cannot {what} in the state directory {self.directory}: {exc.strerror or exc}",
                "check the directory's permissions and free space, or point [state_config] path elsewhere",
            ) from None


class FileLock(Lock):
    """The lock file held by this process."""

    def __init__(self, store: FileStateStore, info: LockInfo, ttl: float) -> None:
        super().__init__(info, ttl)
        self.store = store

    def _swap(self, current: LockInfo, new: LockInfo) -> str | None:
        return self.store.swap_lock(current, new)

    def _delete(self, current: LockInfo) -> bool:
        return self.store.force_release_lock(current) is not None


def _decode_lock(raw: str) -> LockInfo:
    try:
        return decode_record(raw)
    except ValueError as exc:
        return LockInfo(owner=f"<unreadable lock: {exc}>", started_at=None, expires_at=None, raw=raw)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise StateError(f"the state file {path} cannot be read: it is not UTF-8 (byte {exc.start}); it is corrupt",
                         f"restore {path.name} from a backup, or move it away: the next `muskox migrate` reconciles "
                         "the state from the database") from None


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the platform allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
