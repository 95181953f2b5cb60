"""The SETTINGS clause of ``engine_full`` read without tokenizing gives what the tokenizer gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from muskox_clickhouse.create_parser import _plain_settings, _Reader, _settings, parse_create, parse_engine_full

_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
_VALUES = st.one_of(
    st.integers(min_value=-5, max_value=10**12).map(str),
    st.text(alphabet=st.sampled_from("ab ,='\\x1."), max_size=8).map(
        lambda text: "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    st.sampled_from(["1.5", "true", "-1", "'a, b'", "'x = 1, y'"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAMES, _VALUES), min_size=1, max_size=5))
def test_the_settings_shortcut_reads_what_the_tokenizer_reads(pairs: list[tuple[str, str]]) -> None:
    body = ", ".join(f"{name} = {value}" for name, value in pairs)
    reader = _Reader(body)
    assert _plain_settings(body) == _settings(reader, reader.tokens)
    engine_full = f"MergeTree ORDER BY id SETTINGS {body}"
    assert parse_engine_full(engine_full) == parse_create(f"CREATE TABLE d.t (`id` UInt8) ENGINE = {engine_full}"
                                                          ).clauses
