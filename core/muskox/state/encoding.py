"""How muskox writes its stored state and applied list (the same in every built-in store).

State is JSON, never Moose's protobuf, and always under muskox's own key names, so Moose never tries to read it:

.. code-block:: json

    {"format": "muskox-state", "version": 1, "muskox_version": "0.1.0", "saved_at": "2026-04-15T10:15:30.123456Z",
     "infra_map": {... the map in Moose's JSON encoding, as in remote_state.json ...}}

A value that would be large is written as ``gzip:`` followed by the base64 of the gzipped JSON (ClickHouse Keeper
refuses nodes above about 1 MB). The applied list is a JSON array of migration ids, in the order applied.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from typing import TYPE_CHECKING, Any

from muskox.state.errors import StateError
from muskox.state.lock_info import utc_now

if TYPE_CHECKING:
    from muskox.model import InfraMap
    from muskox.plugin.dialect import Dialect

FORMAT = "muskox-state"
VERSION = 1
GZIP_PREFIX = "gzip:"
#: Values longer than this (in characters) are gzipped by the stores that ask for it.
COMPRESS_OVER = 256 * 1024


def encode_state(infra: InfraMap, dialect: Dialect, *, compress_over: int | None = None) -> str:
    """The stored form of ``infra`` (types Moose cannot encode written in the OLAP backend's ``dialect``); gzipped
    and base64-encoded when longer than ``compress_over``."""
    from muskox._version import __version__
    from muskox.model.codec import model_codec

    envelope = {"format": FORMAT, "version": VERSION, "muskox_version": __version__,
                "saved_at": utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "infra_map": model_codec(dialect).to_json(infra)}
    text = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if compress_over is not None and len(text) > compress_over:
        packed = gzip.compress(text.encode(), mtime=0)
        return GZIP_PREFIX + base64.b64encode(packed).decode("ascii")
    return text


def decode_state(text: str, dialect: Dialect, *, where: str) -> InfraMap:
    """Read a stored state (types in ``dialect``); :class:`StateError` (naming ``where``) when it is not one muskox
    wrote."""
    from muskox.model import InfraMap
    from muskox.model.codec import model_codec

    if text.startswith(GZIP_PREFIX):
        try:
            text = gzip.decompress(base64.b64decode(text[len(GZIP_PREFIX):], validate=True)).decode()
        except (binascii.Error, OSError, EOFError, UnicodeDecodeError) as exc:
            raise _unreadable(where, f"its gzip data is damaged ({exc})") from None
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unreadable(where, f"it is not JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise _unreadable(where, "it is not a muskox state")
    version = envelope.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise StateError(
            f"the stored state in {where} has format version {version!r}, newer than this muskox understands "
            f"({VERSION}); it was written by muskox {envelope.get('muskox_version', '?')}",
            "upgrade muskox (continuing with an older one could plan changes from a state it misreads)",
        )
    try:
        return model_codec(dialect).from_json(envelope.get("infra_map"), InfraMap)
    except Exception as exc:  # cattrs raises several exception types
        raise _unreadable(where, f"its map is invalid ({type(exc).__name__}: {exc})") from None


def _unreadable(where: str, reason: str) -> StateError:
    return StateError(
        f"the stored state in {where} cannot be read: {reason}",
        "restore it from the store's history, or delete it: muskox then treats the database as unmanaged and "
        "adopts what exists",
    )


def encode_applied(ids: list[str]) -> str:
    """The applied list: a JSON array of migration ids."""
    return json.dumps(ids, separators=(",", ":"))


def decode_applied(text: str, *, where: str) -> list[str]:
    """Read an applied list (a JSON array of strings, or the base64 of one); :class:`StateError` otherwise."""
    data: Any
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = json.loads(base64.b64decode(text.strip(), validate=True).decode())
        except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
            data = None
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise StateError(
            f"the applied-migrations list in {where} is not a JSON array of migration ids",
            "fix or delete it (deleting it makes every migration file count as not applied)",
        )
    return data


def append_applied(ids: list[str], migration_id: str) -> list[str] | None:
    """``ids`` with ``migration_id`` appended, or ``None`` when it is already there."""
    if not migration_id:
        raise ValueError("a migration id must not be empty")
    return None if migration_id in ids else [*ids, migration_id]
