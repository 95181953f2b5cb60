"""The StateStore/Lock interface is documented exactly; the lock record is Moose's; the file store is built in."""

from __future__ import annotations

import base64
import inspect
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from muskox.plugin.interfaces import Lock, StateStore
from muskox.plugin.manager import BUILTIN_PLUGINS, Plugins
from muskox.state import DEFAULT_LOCK_TTL, LockHeld, LockInfo, default_owner
from muskox.state.encoding import decode_applied, decode_state, encode_state
from muskox.state.errors import StateError
from muskox.state.file_store import FileStateStore
from muskox.state.lock_info import (
    decode_record,
    decode_record_base64,
    encode_record,
    encode_record_base64,
    format_duration,
)
from muskox_clickhouse.dialect import CLICKHOUSE

DOCS = (Path(__file__).parents[2] / "docs" / "plugins.md").read_text()


def _signature(cls: type, name: str) -> str:
    member = inspect.getattr_static(cls, name)
    function = member.__func__ if isinstance(member, classmethod) else member
    return f"def {name}{inspect.signature(function)}".replace("'", "")


@pytest.mark.parametrize("cls, name", [
    *((StateStore, name) for name in sorted(StateStore.__abstractmethods__)),
    (StateStore, "where"),
    *((Lock, name) for name in sorted(Lock.__abstractmethods__)),
    (Lock, "renew"), (Lock, "release"), (Lock, "check"), (Lock, "mark_lost"),
])
def test_each_method_is_documented_with_its_exact_signature(cls: type, name: str) -> None:
    assert _signature(cls, name) in DOCS


def test_the_file_store_is_a_builtin_plugin() -> None:
    assert ("muskox.file_state", "muskox.state.plugin") in BUILTIN_PLUGINS
    plugins = Plugins.load(env={}, entry_points=[])
    assert plugins.state_store("file") is FileStateStore
    described = {info.name: info for info in plugins.describe()}
    assert described["muskox.file_state"].registers == {"state_stores": ("file",)}


def test_default_owner_is_host_and_pid() -> None:
    info = LockInfo.new(default_owner(), DEFAULT_LOCK_TTL)
    parsed = info.host_and_pid()
    assert parsed is not None
    assert parsed[1] > 0
    assert LockInfo(owner="moose-uuid", started_at=None, expires_at=None).host_and_pid() is None


def test_lock_record_is_moose_json_in_moose_field_order() -> None:
    started = datetime(2026, 4, 15, 10, 15, 30, 123456, tzinfo=UTC)
    info = LockInfo.new("host:7", 300, now=started)
    text = encode_record(info)
    assert text == ('{"machine_id":"host:7","started_at":"2026-04-15T10:15:30.123456Z",'
                    '"expires_at":"2026-04-15T10:20:30.123456Z"}')
    assert decode_record(text) == info
    assert base64.b64decode(encode_record_base64(info)).decode() == text
    assert decode_record_base64(encode_record_base64(info)) == info


@pytest.mark.parametrize("written", [
    "2026-04-15T10:15:30.123456789Z",  # chrono, nanoseconds
    "2026-04-15T10:15:30.123456Z",
    "2026-04-15T10:15:30.123456+00:00",
    "2026-04-15T12:15:30.123456+02:00",
])
def test_lock_times_written_by_moose_are_read(written: str) -> None:
    record = json.dumps({"machine_id": "m", "started_at": written, "expires_at": written})
    info = decode_record(record)
    assert info.started_at == datetime(2026, 4, 15, 10, 15, 30, 123456, tzinfo=UTC)
    assert info.raw == record


@pytest.mark.parametrize("text, problem", [
    ("not json", "not JSON"),
    ("[]", "not a JSON object"),
    ('{"started_at": "2026-04-15T10:15:30Z", "expires_at": "2026-04-15T10:15:30Z"}', "machine_id"),
    ('{"machine_id": "m", "started_at": "yesterday", "expires_at": "2026-04-15T10:15:30Z"}', "started_at"),
])
def test_an_unreadable_lock_record_says_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        decode_record(text)


def test_lock_held_message_and_fix() -> None:
    now = datetime(2026, 4, 15, 10, 0, 0, tzinfo=UTC)
    holder = LockInfo.new("ci-7:4242", 252, now=now)
    error = LockHeld(holder, now=now)
    assert error.problem == ("Migration already in progress on machine ci-7:4242 "
                             "(since 2026-04-15 10:00:00 UTC, expires in 4m 12s)")
    assert error.fix is not None
    assert "expires by itself at 2026-04-15 10:04:12 UTC" in error.fix
    assert "`muskox lock release --force`" in error.fix
    assert int(error.exit_code) == 9


def test_durations_read_naturally() -> None:
    assert format_duration(252) == "4m 12s"
    assert format_duration(251.2) == "4m 12s"
    assert format_duration(3723) == "1h 2m 3s"
    assert format_duration(-3) == "0m 0s"


def test_state_round_trips_and_refuses_what_it_does_not_know() -> None:
    from muskox.model import InfraMap

    infra = InfraMap(default_database="db")
    assert decode_state(encode_state(infra, CLICKHOUSE), CLICKHOUSE, where="here") == infra
    assert decode_state(encode_state(infra, CLICKHOUSE, compress_over=10), CLICKHOUSE, where="here") == infra
    with pytest.raises(StateError, match="not a muskox state"):
        decode_state('{"tables": {}}', CLICKHOUSE, where="here")
    newer = json.loads(encode_state(infra, CLICKHOUSE))
    newer["version"] = 99
    with pytest.raises(StateError, match="newer than this muskox understands") as info:
        decode_state(json.dumps(newer), CLICKHOUSE, where="here")
    assert "upgrade muskox" in str(info.value)
    with pytest.raises(StateError, match="gzip data is damaged"):
        decode_state("gzip:AAAA", CLICKHOUSE, where="here")


def test_applied_list_must_be_a_list_of_ids() -> None:
    assert decode_applied('["a"]', where="x") == ["a"]
    for bad in ('{"a": 1}', "[1, 2]", "nope"):
        with pytest.raises(StateError):
            decode_applied(bad, where="x")
