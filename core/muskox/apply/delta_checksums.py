"""Checksums of applied migration files (delta mode): an applied file edited afterwards is reported by name.

When ``migrate`` (or ``prod``) applies a file, it records ``sha256:<id>:<hex>`` in the state store's applied list
just before the file's id: the SHA-256 of the file's bytes, line endings normalized to ``\\n`` (a checkout that
converts them is not an edit; any other change, comments included, is). Before it applies anything, every applied
file whose recorded checksum differs from its content now stops the run (exit 7, every such file named): an
applied file is history, and what it says no longer describes what ran. Files applied before checksums were
recorded have none and are not checked. ``migrate --mark-applied <id>`` of an applied file records its present
content as the applied one (after a deliberate, harmless edit).

The applied list holds strings of several kinds; only records without a known prefix are migration ids
(:func:`muskox.apply.plan_record.migration_ids` leaves out ``plan:`` and ``sha256:`` records).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from muskox.errors import PlanInvalid

PREFIX = "sha256:"


def is_checksum_record(record: str) -> bool:
    """True for the records of this module."""
    return record.startswith(PREFIX)


def file_checksum(path: Path) -> str:
    """The hex SHA-256 of the file's bytes with ``\\r\\n`` read as ``\\n``."""
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def checksum_record(migration_id: str, checksum: str) -> str:
    """``sha256:<id>:<hex>``."""
    return f"{PREFIX}{migration_id}:{checksum}"


def recorded_checksums(applied: Iterable[str]) -> dict[str, str]:
    """Migration id → its checksum as last recorded (a file re-applied after an edit has several: the last one
    describes what ran)."""
    found: dict[str, str] = {}
    for record in applied:
        if is_checksum_record(record):
            migration_id, _, checksum = record[len(PREFIX):].rpartition(":")
            if migration_id and checksum:
                found[migration_id] = checksum
    return found


def current_checksums(directory: Path, ids: Iterable[str]) -> dict[str, str]:
    """Migration id → the checksum of ``<directory>/<id>.yaml`` now (ids without a file left out)."""
    sums: dict[str, str] = {}
    for migration_id in ids:
        path = directory / f"{migration_id}.yaml"
        if path.is_file():
            sums[migration_id] = file_checksum(path)
    return sums


def edited_files(applied: Sequence[str], current: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(id, recorded, now)`` of every applied file (by ``applied``'s ids) whose content changed since."""
    from muskox.apply.plan_record import migration_ids

    recorded = recorded_checksums(applied)
    done = set(migration_ids(applied))
    return [(migration_id, recorded[migration_id], checksum) for migration_id, checksum in sorted(current.items())
            if migration_id in done and migration_id in recorded and recorded[migration_id] != checksum]


def check_unedited(directory: Path, applied: Sequence[str], current: dict[str, str]) -> None:
    """Raise :class:`PlanInvalid` (exit 7) naming every applied file edited since it was applied."""
    edited = edited_files(applied, current)
    if not edited:
        return
    raise PlanInvalid(
        f"applied migration file(s) in {directory} were edited after they were applied; nothing was executed",
        "restore each file as it was applied (`git log -p -- <file>` shows the edit) and put the change in a new "
        "file (`muskox generate migration --save`): editing an applied file changes nothing in the database. If "
        "the edit changes nothing that ran, accept it with `muskox migrate --mark-applied <id>`",
        problems=[f"{migration_id}.yaml: edited after it was applied (sha256 {before[:12]}… when applied, "
                  f"{now[:12]}… now)" for migration_id, before, now in edited],
    )
