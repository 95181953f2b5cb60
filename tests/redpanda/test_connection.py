"""Kafka client settings: URL rules, [redpanda_config] rules, and that passwords never leak."""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muskox.config import Config, RedpandaConfig
from muskox.errors import ConfigError
from muskox_redpanda.connection import (
    KafkaSettings,
    mask_kafka_url,
    parse_broker_list,
    parse_kafka_url,
    resolve_settings,
    settings_from_config,
)

SECRET = "S3cr3tPw"

# -- URL parsing: examples ---------------------------------------------------------------------------------


def test_plain_url() -> None:
    settings = parse_kafka_url("kafka://broker.example:19092")
    assert settings == KafkaSettings(bootstrap_servers=("broker.example:19092",))
    assert settings.client_config() == {
        "bootstrap.servers": "broker.example:19092", "security.protocol": "PLAINTEXT", "client.id": "muskox",
    }


def test_credentials_mean_sasl_plain_by_default() -> None:
    settings = parse_kafka_url(f"kafka://alice:{SECRET}@h1:9093,h2")
    assert settings.bootstrap_servers == ("h1:9093", "h2:9092")
    assert settings.security_protocol == "SASL_PLAINTEXT"
    assert (settings.sasl_mechanism, settings.sasl_username, settings.sasl_password) == ("PLAIN", "alice", SECRET)
    assert settings.client_config()["sasl.password"] == SECRET


def test_ssl_scheme_and_mechanism_parameter() -> None:
    settings = parse_kafka_url(f"KAFKA+SSL://bob:{SECRET}@[::1]:9094/?sasl_mechanism=scram-sha-512")
    assert settings.security_protocol == "SASL_SSL"
    assert settings.sasl_mechanism == "SCRAM-SHA-512"
    assert settings.bootstrap_servers == ("[::1]:9094",)
    assert parse_kafka_url("kafka+ssl://h").security_protocol == "SSL"


def test_percent_encoded_and_unencoded_special_characters_in_the_password() -> None:
    assert parse_kafka_url("kafka://u%40x:p%3Aa%40ss@h").sasl_password == "p:a@ss"
    assert parse_kafka_url("kafka://u%40x:p%3Aa%40ss@h").sasl_username == "u@x"
    assert parse_kafka_url("kafka://u:pa/ss?#@h:1").sasl_password == "pa/ss?#"
    assert parse_kafka_url("kafka://u:p@ss@h:1").sasl_password == "p@ss"


def test_bare_broker_list_is_accepted() -> None:
    assert parse_kafka_url(" 127.0.0.1:1234 ").bootstrap_servers == ("127.0.0.1:1234",)
    assert parse_kafka_url("a,b:1").bootstrap == "a:9092,b:1"


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("", "it is empty"),
        ("http://h:9092", "unknown scheme 'http://'"),
        ("kafka://", "empty broker address"),
        ("kafka://h:notaport", "port 'notaport'"),
        ("kafka://h:0", "not a number from 1 to 65535"),
        ("kafka://h:70000", "not a number from 1 to 65535"),
        ("kafka://h1,,h2", "empty broker address"),
        ("kafka://::1:9092", "several ':'"),
        ("kafka://[::1:9092", "unclosed '['"),
        ("kafka://h/topic", "a path ('/topic')"),
        ("kafka://h#frag", "fragment"),
        ("kafka://h?foo=1", "unknown parameter 'foo'"),
        ("kafka://h?sasl_mechanism=PLAIN", "needs credentials"),
        (f"kafka://u:{SECRET}@h?sasl_mechanism=GSSAPI", "sasl_mechanism 'GSSAPI'"),
        ("kafka://alice@h", "user 'alice' has no password"),
        (f"kafka://:{SECRET}@h", "user name before '@' is empty"),
        (f"alice:{SECRET}@h:9092", "credentials need a scheme"),
    ],
)
def test_bad_urls_are_config_errors_naming_the_problem(url: str, detail: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_kafka_url(url)
    message = str(info.value)
    assert detail in message
    assert "\n" not in message
    assert "Fix: write it as kafka://" in message
    assert SECRET not in message


def test_settings_repr_and_display_hide_the_password() -> None:
    settings = parse_kafka_url(f"kafka+ssl://alice:{SECRET}@h:1")
    assert SECRET not in repr(settings)
    assert settings.display() == "kafka+ssl://alice:****@h:1"
    assert parse_kafka_url("h").display() == "kafka://h:9092"


def test_producer_config_adds_the_message_timeout() -> None:
    settings = parse_kafka_url("kafka://h", message_timeout_ms=2500)
    assert settings.producer_config()["message.timeout.ms"] == "2500"
    assert "message.timeout.ms" not in settings.client_config()


# -- URL parsing: properties -------------------------------------------------------------------------------

hostnames = st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?", fullmatch=True)
ports = st.integers(min_value=1, max_value=65535)
credential_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)


@given(
    user=credential_text,
    password=credential_text,
    brokers=st.lists(st.tuples(hostnames, ports), min_size=1, max_size=4),
    tls=st.booleans(),
    mechanism=st.sampled_from([None, "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
)
def test_url_round_trip(user: str, password: str, brokers: list[tuple[str, int]], tls: bool,
                        mechanism: str | None) -> None:
    scheme = "kafka+ssl" if tls else "kafka"
    netloc = ",".join(f"{h}:{p}" for h, p in brokers)
    quoted = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}"
    query = f"?sasl_mechanism={mechanism}" if mechanism else ""
    settings = parse_kafka_url(f"{scheme}://{quoted}@{netloc}{query}")
    assert settings.bootstrap_servers == tuple(f"{h}:{p}" for h, p in brokers)
    assert (settings.sasl_username, settings.sasl_password) == (user, password)
    assert settings.sasl_mechanism == (mechanism or "PLAIN")
    assert settings.security_protocol == ("SASL_SSL" if tls else "SASL_PLAINTEXT")
    assert settings.uses_tls is tls
    # display() is itself a valid URL that parses back to the same brokers and user
    shown = parse_kafka_url(settings.display().replace("****", "x"))
    assert (shown.bootstrap_servers, shown.sasl_username) == (settings.bootstrap_servers, user)


@given(
    user=st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    password=st.text(st.characters(codec="utf-8"), max_size=20).map(lambda s: SECRET + s),
    after=st.text(st.characters(codec="utf-8", exclude_characters="@"), max_size=30),
    scheme=st.sampled_from(["kafka://", "kafka+ssl://", "http://", "", "kafka:/"]),
)
def test_password_never_appears_in_errors_or_masks(user: str, password: str, after: str, scheme: str) -> None:
    url = f"{scheme}{user}:{password}@{after}"
    assert SECRET not in mask_kafka_url(url)
    try:
        settings = parse_kafka_url(url)
    except ConfigError as exc:
        assert SECRET not in str(exc)
    else:
        assert SECRET not in settings.display()
        assert SECRET not in repr(settings)


@given(st.text(max_size=60))
def test_any_text_parses_or_is_a_config_error(text: str) -> None:
    try:
        settings = parse_kafka_url(text)
    except ConfigError:
        return
    assert settings.bootstrap_servers
    for broker in settings.bootstrap_servers:
        port = int(broker.rpartition(":")[2])
        assert 1 <= port <= 65535


@given(st.lists(st.tuples(hostnames, st.one_of(st.none(), ports)), min_size=1, max_size=5))
def test_broker_list_defaults_the_port(entries: list[tuple[str, int | None]]) -> None:
    text = ",".join(h if p is None else f"{h}:{p}" for h, p in entries)
    assert parse_broker_list(text) == tuple(f"{h}:{9092 if p is None else p}" for h, p in entries)


# -- [redpanda_config] -------------------------------------------------------------------------------------


def test_config_defaults() -> None:
    settings = settings_from_config(RedpandaConfig())
    assert settings == KafkaSettings(bootstrap_servers=("localhost:19092",))


def test_config_with_credentials_defaults_to_sasl_plaintext_and_plain() -> None:
    settings = settings_from_config(RedpandaConfig(broker="a:1, b:2", sasl_username="u", sasl_password=SECRET,
                                                   message_timeout_ms=42))
    assert settings.bootstrap_servers == ("a:1", "b:2")
    assert (settings.security_protocol, settings.sasl_mechanism) == ("SASL_PLAINTEXT", "PLAIN")
    assert settings.message_timeout_ms == 42


def test_config_explicit_protocol_and_mechanism_are_normalized() -> None:
    settings = settings_from_config(RedpandaConfig(sasl_username="u", sasl_password=SECRET,
                                                   security_protocol="sasl_ssl", sasl_mechanism="scram-sha-256"))
    assert (settings.security_protocol, settings.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-256")
    assert settings_from_config(RedpandaConfig(security_protocol="ssl")).security_protocol == "SSL"


@pytest.mark.parametrize(
    ("section", "detail"),
    [
        (RedpandaConfig(broker=f"kafka://u:{SECRET}@h:1"), "must be a host:port list, not a URL"),
        (RedpandaConfig(broker="h:x"), "redpanda_config.broker is invalid"),
        (RedpandaConfig(sasl_username="u"), "sasl_username is set but sasl_password is not"),
        (RedpandaConfig(sasl_password=SECRET), "sasl_password is set but sasl_username is not"),
        (RedpandaConfig(security_protocol="TLS"), "security_protocol 'TLS' is not valid"),
        (RedpandaConfig(security_protocol="SASL_SSL"), "no SASL credentials"),
        (RedpandaConfig(sasl_username="u", sasl_password=SECRET, security_protocol="SSL"), "sends none"),
        (RedpandaConfig(sasl_username="u", sasl_password=SECRET, sasl_mechanism="MD5"), "'MD5' is not valid"),
        (RedpandaConfig(sasl_mechanism="PLAIN"), "sasl_mechanism is set but"),
    ],
)
def test_bad_config_is_a_config_error(section: RedpandaConfig, detail: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_config(section)
    assert detail in str(info.value)
    assert "Fix: " in str(info.value)
    assert SECRET not in str(info.value)


def test_url_wins_over_config_but_keeps_its_message_timeout() -> None:
    config = Config(redpanda_config=RedpandaConfig(broker="from-config:1", message_timeout_ms=777))
    assert resolve_settings(config).bootstrap_servers == ("from-config:1",)
    from_url = resolve_settings(config, "kafka://from-url:2")
    assert from_url.bootstrap_servers == ("from-url:2",)
    assert from_url.message_timeout_ms == 777
