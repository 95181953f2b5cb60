"""``muskox logs --filter``: which records the text selects (pure logic, no server)."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from muskox.logs.reading import RecordFilter

_moments = st.datetimes(min_value=datetime.datetime(2020, 1, 1), max_value=datetime.datetime(2040, 1, 1),
                        timezones=st.just(datetime.UTC))
_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@given(moment=_moments, table=_words, needle=st.sampled_from(["t1", "T2", "12", "event", "sql", ":"]))
def test_the_filter_ignores_keys_and_the_timestamp(moment: datetime.datetime, table: str, needle: str) -> None:
    record = {"time": moment.isoformat(), "event": "statement", "command": "migrate", "sql": f"DROP TABLE {table}"}
    in_values = needle.lower() in f"statement migrate DROP TABLE {table}".lower()
    assert RecordFilter(text=needle).accepts(record) is in_values


@given(table=_words)
def test_the_filter_finds_text_in_nested_values_whatever_its_case(table: str) -> None:
    record = {"time": "2026-12-06T16:03:13+00:00", "event": "end", "error": {"code": 60, "tables": [table]}}
    assert RecordFilter(text=table.upper()).accepts(record)
    assert RecordFilter(text=None).accepts(record)
    assert not RecordFilter(text=table + "#").accepts(record)


def test_since_still_filters_by_the_timestamp() -> None:
    cutoff = datetime.datetime(2026, 12, 6, 12, tzinfo=datetime.UTC)
    older = {"time": "2026-12-06T11:59:59+00:00", "event": "end"}
    newer = {"time": "2026-12-06T12:00:01+00:00", "event": "end"}
    assert not RecordFilter(since=cutoff).accepts(older)
    assert RecordFilter(since=cutoff).accepts(newer)
