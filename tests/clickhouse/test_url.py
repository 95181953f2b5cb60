"""ClickHouse URL parsing, building from [clickhouse_config], and masking (pure logic)."""

from __future__ import annotations

import urllib.parse

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from muskox.config import ClickHouseConfig, Config
from muskox.errors import ConfigError
from muskox.masking import MASK
from muskox_clickhouse.url import ClickHouseUrl, parse_url, resolve_url, url_from_config


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8123", {"protocol": "http", "host": "localhost", "port": 8123, "secure": False}),
        ("http://ch.example.com", {"protocol": "http", "port": 80, "secure": False}),
        ("https://ch.example.com", {"protocol": "http", "port": 443, "secure": True}),
        ("https://ch.example.com:8443/db", {"port": 8443, "secure": True, "database": "db"}),
        ("clickhouse://h", {"protocol": "native", "port": 9000, "secure": False}),
        ("clickhouse://h:9440", {"protocol": "native", "port": 9440, "secure": True}),
        ("clickhouse://h:9440?secure=false", {"port": 9440, "secure": False}),
        ("clickhouse://h:19000?secure=true", {"port": 19000, "secure": True}),
        ("clickhouse://h?secure=true", {"port": 9440, "secure": True}),
        ("clickhouses://h", {"protocol": "native", "port": 9440, "secure": True}),
        ("clickhouses://h:9999", {"port": 9999, "secure": True}),
        ("HTTP://h:1/", {"protocol": "http", "database": "default"}),
        ("http://[::1]:8123/x", {"host": "::1", "port": 8123, "database": "x"}),
        ("https://h?verify=false", {"verify": False}),
        ("http://alice@h", {"user": "alice", "password": ""}),
        ("http://alice:p%40ss%3Aw%2Fd@h/db", {"user": "alice", "password": "p@ss:w/d", "database": "db"}),
        ("http://alice:raw/pass?word@h:8123/db", {"password": "raw/pass?word", "port": 8123, "database": "db"}),
        ("http://:secret@h", {"user": "default", "password": "secret"}),
        ("http://h/my%20db", {"database": "my db"}),
    ],
)
def test_parse(url: str, expected: dict[str, object]) -> None:
    parsed = parse_url(url)
    for key, value in expected.items():
        assert getattr(parsed, key) == value, key


def test_parse_defaults() -> None:
    parsed = parse_url("http://h")
    assert (parsed.user, parsed.password, parsed.database, parsed.verify) == ("default", "", "default", True)


@pytest.mark.parametrize(
    ("url", "problem", "fix"),
    [
        ("postgres://u:hunter22@h", "unknown scheme 'postgres://'", "clickhouse://"),
        ("localhost:8123", "no scheme", "http://"),
        ("http://u:hunter22@h:99999", "bad port", "1..65535"),
        ("http://u:hunter22@h:abc", "bad port", "1..65535"),
        ("http://u:hunter22@h:0", "bad port", "1..65535"),
        ("http://u:hunter22@:8123", "no host", "http://"),
        ("http://h/a/b", "more than one segment", "/DATABASE"),
        ("http://h?foo=1", "unknown query parameter 'foo'", "secure, verify"),
        ("http://h?secure=true", "contradicts 'http://'", "https://"),
        ("https://h?secure=false", "contradicts 'https://'", "https://"),
        ("clickhouses://h?secure=false", "contradicts 'clickhouses://'", "clickhouse://"),
        ("clickhouse://h?secure=maybe", "not a boolean", "?secure=true"),
        ("http://h#frag", "fragment", "%23"),
    ],
)
def test_bad_urls_are_one_line_config_errors(url: str, problem: str, fix: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_url(url, source="--clickhouse-url")
    message = str(info.value)
    assert message.startswith("--clickhouse-url ")
    assert problem in info.value.problem
    assert info.value.fix is not None and fix in info.value.fix
    assert "\n" not in message
    assert "hunter22" not in message


def test_url_from_config_defaults_to_http_on_host_port() -> None:
    url = url_from_config(ClickHouseConfig())
    assert url == ClickHouseUrl(protocol="http", host="localhost", port=18123, database="local")
    assert url.masked() == "http://default@localhost:18123/local"


def test_url_from_config_fields() -> None:
    config = ClickHouseConfig(host="ch", host_port=8443, native_port=9440, use_ssl=True, user="bob",
                              password="hunter22", db_name="prod")
    http = url_from_config(config)
    assert (http.scheme, http.port, http.secure, http.user, http.password, http.database) == (
        "https", 8443, True, "bob", "hunter22", "prod")
    native = url_from_config(config, protocol="native")
    assert (native.protocol, native.port, native.secure) == ("native", 9440, True)
    assert "hunter22" not in native.masked() and "hunter22" not in repr(native)


def test_url_from_config_prefers_url_and_names_its_source() -> None:
    assert url_from_config(ClickHouseConfig(url="clickhouse://x:1/y")).port == 1
    with pytest.raises(ConfigError, match=r"^\[clickhouse_config\] url 'ftp://u:\*\*\*\*@x'"):
        url_from_config(ClickHouseConfig(url="ftp://u:hunter22@x"))


def test_url_from_config_rejects_bad_fields() -> None:
    with pytest.raises(ConfigError, match="host_port"):
        url_from_config(ClickHouseConfig(host_port=0))


def test_resolve_url_flag_wins_over_config() -> None:
    config = Config(clickhouse_config=ClickHouseConfig(url="http://from-file:8123"))
    assert resolve_url(config, "clickhouse://from-flag").host == "from-flag"
    assert resolve_url(config).host == "from-file"
    with pytest.raises(ConfigError, match=r"^--clickhouse-url"):
        resolve_url(config, "nope://x")


# -- properties ---------------------------------------------------------------------------------------

hosts = st.one_of(
    st.sampled_from(["localhost", "127.0.0.1", "::1", "2001:db8::7", "ch.example.com"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,15}(\.[a-z]{2,6}){0,2}", fullmatch=True),
)
urls = st.builds(
    ClickHouseUrl,
    protocol=st.sampled_from(["http", "native"]),
    host=hosts,
    port=st.integers(1, 65535),
    secure=st.booleans(),
    verify=st.booleans(),
    database=st.text(min_size=1, max_size=20),
    user=st.text(min_size=1, max_size=20),
    password=st.text(max_size=30),
)


@given(urls)
def test_round_trip(url: ClickHouseUrl) -> None:
    assert parse_url(url.to_url()) == url


@given(urls)
def test_masked_url_never_shows_the_password(url: ClickHouseUrl) -> None:
    masked = url.masked()
    quoted = urllib.parse.quote(url.password, safe="")
    rest = attrs.evolve(url, password="").to_url()
    assume(url.password not in rest and quoted not in rest)  # a password that is also, say, the host name
    if url.password:
        assert url.password not in masked and quoted not in masked
        assert parse_url(masked) == attrs.evolve(url, password=MASK)
    else:
        assert parse_url(masked) == url
    assert repr(url) == repr(attrs.evolve(url, password=""))
    assert str(url) == masked


BAD_URL_TEMPLATES = [
    "ftp://bob:{}@host:8123/db",
    "http://bob:{}@host:99999/db",
    "http://bob:{}@host:port/db",
    "http://bob:{}@:8123/db",
    "http://bob:{}@host/a/b",
    "clickhouse://bob:{}@host?secure=maybe",
]


def _error_for(url: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_url(url)
    return str(info.value)


@given(password=st.text(min_size=1, max_size=30), template=st.sampled_from(BAD_URL_TEMPLATES),
       encode=st.booleans())
def test_config_errors_never_show_the_password(password: str, template: str, encode: bool) -> None:
    quoted = urllib.parse.quote(password, safe="")
    baseline = _error_for(template.format("XXXXXXXX"))
    assume(password not in baseline and quoted not in baseline)
    message = _error_for(template.format(quoted if encode else password))
    assert password not in message
    assert quoted not in message
