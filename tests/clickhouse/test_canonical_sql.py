"""Canonical SQL against the server's own formatter: whatever way an expression is written, the text ClickHouse
stores for it (``formatQuerySingleLine``) canonicalizes to the same string as the written text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from muskox_clickhouse import ClickHouseServerError, connect, parse_url
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.sql_canonical import canonical_expression, canonical_query, canonical_ttl
from muskox_clickhouse.local import RunningServer


@pytest.fixture(scope="module")
def client(clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as opened:
        yield opened


def server_format(client: ClickHouseClient, query: str) -> str:
    return str(client.query(f"SELECT formatQuerySingleLine({quote_string(query)})")[0][0])


def server_format_or_reject(client: ClickHouseClient, query: str) -> str:
    """The server's text; generated SQL the server's parser refuses is not an example (hypothesis rejects it)."""
    try:
        return server_format(client, query)
    except ClickHouseServerError as exc:
        if exc.code == SYNTAX_ERROR:
            reject()
        raise


# -- written expressions, in many styles ----------------------------------------------------------------

def _keyword(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from((word, word.lower(), word.capitalize()))


def _spaced(*parts: st.SearchStrategy[str] | str) -> st.SearchStrategy[str]:
    strategies = [st.just(p) if isinstance(p, str) else p for p in parts]
    return st.tuples(*strategies, st.lists(st.sampled_from(("", " ", "  ")), min_size=len(parts),
                                           max_size=len(parts))).map(
        lambda t: "".join(piece + space for piece, space in zip(t[:-1], t[-1], strict=True)).strip())


names = st.one_of(
    st.sampled_from(("id", "ts", "amount", "x_1")),
    st.sampled_from(("id", "ts", "order", "with space", "naïve", "select")).map(quote_identifier),
)
literals = st.one_of(
    st.integers(-1000, 10**6).map(str),
    st.sampled_from(("1.5", "0.25", "1e3", "2.50", "0x1F", "1e-5")),
    st.text(st.characters(codec="ascii", exclude_characters="\\"), max_size=6).map(quote_string),
    st.sampled_from(("'it''s'", "NULL", "null", "true", "FALSE")),
)
units = st.sampled_from(("SECOND", "minute", "Hour", "DAY", "days", "WEEK", "month", "QUARTER", "year"))


def _compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operators = st.sampled_from(("+", "-", "*", "/", "%", "=", "==", "!=", "<>", "<", ">=", "||"))
    return st.one_of(
        _spaced(children, " ", operators, " ", children),
        _spaced(children, " ", _keyword("AND"), " ", children),
        _spaced(children, " ", _keyword("OR"), " ", children),
        _spaced("(", children, ")"),
        _spaced(_keyword("NOT"), " ", children),
        _spaced("- ", children),
        st.tuples(st.sampled_from(("plus", "toString", "lower", "if", "greatest", "tuple", "array", "length")),
                  st.lists(children, min_size=1, max_size=3))
        .map(lambda f: f"{f[0]}({', '.join(f[1])})"),
        _spaced(children, " ", _keyword("IN"), " (", children, ",", children, ")"),
        _spaced(children, " ", _keyword("BETWEEN"), " ", children, " ", _keyword("AND"), " ", children),
        _spaced(children, " ", _keyword("IS"), " ", _keyword("NULL")),
        _spaced(children, " ", _keyword("IS"), " ", _keyword("NOT"), " ", _keyword("NULL")),
        _spaced(children, " ", _keyword("LIKE"), " ", literals),
        _spaced(_keyword("INTERVAL"), " ", st.integers(0, 99).map(str), " ", units),
        _spaced(_keyword("CASE"), " ", _keyword("WHEN"), " ", children, " ", _keyword("THEN"), " ", children, " ",
                _keyword("ELSE"), " ", children, " ", _keyword("END")),
        _spaced(_keyword("CAST"), "(", children, " ", _keyword("AS"), " ",
                st.sampled_from(("String", "Nullable(Int32)", "Array(UInt8)")), ")"),
        _spaced("[", children, ",", children, "]"),
        _spaced("(", children, " ? ", children, " : ", children, ")"),
        _spaced("(", children, ",", children, ")"),
    )


expressions = st.recursive(st.one_of(names, literals), _compound, max_leaves=8)
SYNTAX_ERROR = 62
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=expressions)
def test_written_and_server_formatted_expressions_agree(client: ClickHouseClient, expression: str) -> None:
    formatted = server_format_or_reject(client, f"SELECT {expression}")
    assert formatted.startswith("SELECT ")
    stored = formatted[len("SELECT "):]
    assert canonical_expression(expression) == canonical_expression(stored), (expression, stored)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=expressions)
def test_canonical_text_is_a_fixed_point(expression: str) -> None:
    once = canonical_expression(expression)
    assert canonical_expression(once) == once


@pytest.mark.parametrize("query", [
    "select id, `order` from db.t where id>1 and ts < now() - interval 1 day",
    "SELECT count() n, sum(amount) AS total FROM t GROUP BY id HAVING total > 10 ORDER BY n DESC LIMIT 5",
    "SELECT a.id, b.x FROM t AS a LEFT JOIN u AS b ON a.id = b.id WHERE b.x IS NOT NULL",
    "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2) WHERE x between 1 and 2",
    "SELECT id, arrayMap(v -> v * 2, vals) FROM t ARRAY JOIN vals AS v",
    "WITH 5 AS k SELECT id * k FROM t",
])
def test_queries_agree_with_the_server(client: ClickHouseClient, query: str) -> None:
    assert canonical_query(query) == canonical_query(server_format(client, query))


def test_ttl_agrees_with_the_server(client: ClickHouseClient) -> None:
    database = "canonical_ttl_check"
    client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    try:
        ttl = "ts + interval 1 month, ts + INTERVAL '2 days' DELETE WHERE id = 1 AND id>0"
        client.command(f"CREATE TABLE {database}.t (id UInt64, ts DateTime) ENGINE = MergeTree ORDER BY id "
                       f"TTL {ttl}")
        stored = str(client.query(f"SELECT engine_full FROM system.tables WHERE database = '{database}'")[0][0])
        stored_ttl = stored[stored.index(" TTL ") + 5:stored.index(" SETTINGS ")]
        assert canonical_ttl(ttl) == canonical_ttl(stored_ttl)
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
