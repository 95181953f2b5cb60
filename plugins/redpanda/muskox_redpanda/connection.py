"""Kafka client settings from ``[redpanda_config]`` or from a Kafka URL (``--kafka-url``).

Kafka URL rules
---------------

``kafka://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]...][/][?sasl_mechanism=MECHANISM]``

- ``kafka://`` connects in plain text, ``kafka+ssl://`` over TLS.
- With ``USER:PASSWORD@`` the connection authenticates with SASL (``SASL_PLAINTEXT`` or ``SASL_SSL``); the
  mechanism is ``PLAIN`` unless ``?sasl_mechanism=`` names ``SCRAM-SHA-256`` or ``SCRAM-SHA-512``. Both the
  user name and the password are required, and are percent-decoded (write ``%40`` for ``@``, ``%3A`` for
  ``:``, ``%25`` for ``%``). Everything between ``://`` and the *last* ``@`` is the user info, so a password
  containing ``/``, ``?`` or ``#`` still works unencoded.
- Several brokers are separated by commas; a broker without a port uses ``9092``; IPv6 addresses are written
  in brackets (``[::1]:9092``).
- No path (a lone ``/`` is allowed), no fragment, no other query parameter.
- Without ``://`` the value is a plain broker list, ``HOST[:PORT][,HOST[:PORT]...]``, in plain text and
  without credentials (the form of ``[redpanda_config] broker``).

A URL that breaks these rules is a :class:`muskox.errors.ConfigError` whose message shows the URL with its
password masked. Passwords never appear in any message, in ``repr`` or in :meth:`KafkaSettings.display`.
"""

from __future__ import annotations

import urllib.parse

import attrs

from muskox.config import Config, RedpandaConfig
from muskox.errors import ConfigError
from muskox.masking import MASK, mask_url

DEFAULT_PORT = 9092
#: URL scheme → whether the connection uses TLS.
URL_SCHEMES: dict[str, bool] = {"kafka": False, "kafka+ssl": True}
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
URL_FORM = "kafka://[user:password@]host:port[,host:port...] or kafka+ssl://..., or a plain host:port list"
_QUERY_KEYS = frozenset({"sasl_mechanism"})


@attrs.frozen(kw_only=True)
class KafkaSettings:
    """Where the broker is and how to authenticate: everything a confluent-kafka client needs."""

    bootstrap_servers: tuple[str, ...]
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = attrs.field(default=None, repr=False)
    message_timeout_ms: int = 1000

    @property
    def bootstrap(self) -> str:
        """The comma-separated broker list (confluent-kafka's ``bootstrap.servers``)."""
        return ",".join(self.bootstrap_servers)

    @property
    def uses_tls(self) -> bool:
        """True when the connection is encrypted (``SSL`` or ``SASL_SSL``)."""
        return self.security_protocol in {"SSL", "SASL_SSL"}

    def display(self) -> str:
        """The broker as a Kafka URL with the password masked, for messages and logs."""
        scheme = "kafka+ssl" if self.uses_tls else "kafka"
        user = ""
        if self.sasl_username is not None:
            user = urllib.parse.quote(self.sasl_username, safe="")
            user += f":{MASK}@" if self.sasl_password is not None else "@"
        return f"{scheme}://{user}{self.bootstrap}"

    def client_config(self) -> dict[str, str]:
        """Settings shared by every confluent-kafka client (admin, producer, consumer)."""
        config = {
            "bootstrap.servers": self.bootstrap,
            "security.protocol": self.security_protocol,
            "client.id": "muskox",
        }
        if self.sasl_mechanism is not None:
            config["sasl.mechanism"] = self.sasl_mechanism
        if self.sasl_username is not None:
            config["sasl.username"] = self.sasl_username
        if self.sasl_password is not None:
            config["sasl.password"] = self.sasl_password
        return config

    def producer_config(self) -> dict[str, str]:
        """:meth:`client_config` plus the producer's ``message.timeout.ms``."""
        return {**self.client_config(), "message.timeout.ms": str(self.message_timeout_ms)}


# -- masking ---------------------------------------------------------------------------------------------


def mask_kafka_url(url: str) -> str:
    """``url`` with the password masked, by the same "last ``@``" rule the parser uses.

    Safe on any text, including URLs that do not parse.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        userinfo, _, after = rest.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        rest = f"{user}:{MASK}@{after}" if colon else f"{userinfo}@{after}"
    masked = f"{scheme}{sep}{rest}"
    return mask_url(masked) if sep else masked


# -- parsing ---------------------------------------------------------------------------------------------


def _url_error(url: str, detail: str) -> ConfigError:
    return ConfigError(f"invalid Kafka URL '{mask_kafka_url(url)}': {detail}", f"write it as {URL_FORM}")


def parse_broker_list(value: str) -> tuple[str, ...]:
    """Split ``HOST[:PORT][,HOST[:PORT]...]`` into ``host:port`` strings (default port 9092).

    Raises :class:`ValueError` with a message that quotes only the offending broker entry.
    """
    brokers = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            raise ValueError("empty broker address (check the commas)")
        if any(ch.isspace() for ch in entry) or any(ch in entry for ch in "/?#@"):
            raise ValueError(f"broker '{entry}' contains a character not allowed in host:port")
        if entry.startswith("["):
            close = entry.find("]")
            if close < 0:
                raise ValueError(f"broker '{entry}' has an unclosed '[' (IPv6 is written [addr]:port)")
            host, rest = entry[: close + 1], entry[close + 1 :]
            if rest and not rest.startswith(":"):
                raise ValueError(f"broker '{entry}' has text after ']' that is not ':port'")
            port_text = rest[1:] if rest else None
            if host == "[]":
                raise ValueError(f"broker '{entry}' has an empty host")
        else:
            host, colon, port_text_or_empty = entry.partition(":")
            if ":" in port_text_or_empty:
                raise ValueError(f"broker '{entry}' has several ':' (write IPv6 addresses as [addr]:port)")
            port_text = port_text_or_empty if colon else None
            if not host:
                raise ValueError(f"broker '{entry}' has an empty host")
        port = DEFAULT_PORT
        if port_text is not None:
            if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise ValueError(f"broker '{entry}' has port '{port_text}', not a number from 1 to 65535")
            port = int(port_text)
        brokers.append(f"{host}:{port}")
    return tuple(brokers)


def _normalize_mechanism(value: str) -> str | None:
    mechanism = value.strip().upper()
    return mechanism if mechanism in SASL_MECHANISMS else None


def parse_kafka_url(url: str, *, message_timeout_ms: int = 1000) -> KafkaSettings:
    """Parse a Kafka URL (rules in this module's docstring) into :class:`KafkaSettings`.

    Raises :class:`muskox.errors.ConfigError` naming the problem, with the password masked.
    """
    text = url.strip()
    if not text:
        raise _url_error(url, "it is empty")
    scheme, sep, rest = text.partition("://")
    if not sep:
        if "@" in text:
            raise _url_error(url, "credentials need a scheme, as in kafka://user:password@host:port")
        try:
            return KafkaSettings(bootstrap_servers=parse_broker_list(text), message_timeout_ms=message_timeout_ms)
        except ValueError as exc:
            raise _url_error(url, str(exc)) from None
    scheme = scheme.lower()
    if scheme not in URL_SCHEMES:
        schemes = ", ".join(f"{s}://" for s in URL_SCHEMES)
        raise _url_error(url, f"unknown scheme '{scheme}://' (valid: {schemes})")
    tls = URL_SCHEMES[scheme]

    username: str | None = None
    password: str | None = None
    if "@" in rest:
        userinfo, _, rest = rest.rpartition("@")
        raw_user, colon, raw_password = userinfo.partition(":")
        username = urllib.parse.unquote(raw_user)
        if not username:
            raise _url_error(url, "the user name before '@' is empty")
        if not colon or not raw_password:
            raise _url_error(url, f"user '{username}' has no password (write user:password@)")
        password = urllib.parse.unquote(raw_password)

    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    hosts, tail = rest[:end], rest[end:]
    if "#" in tail:
        raise _url_error(url, "a fragment ('#...') is not allowed")
    path, _, query = tail.partition("?")
    if path not in {"", "/"}:
        raise _url_error(url, f"a path ('{path}') is not allowed")
    try:
        bootstrap = parse_broker_list(hosts)
    except ValueError as exc:
        raise _url_error(url, str(exc)) from None

    mechanism: str | None = None
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key not in _QUERY_KEYS:
            raise _url_error(url, f"unknown parameter '{key}' (valid: {', '.join(sorted(_QUERY_KEYS))})")
        mechanism = _normalize_mechanism(value)
        if mechanism is None:
            raise _url_error(url, f"sasl_mechanism '{value}' is not one of {', '.join(SASL_MECHANISMS)}")
    if username is None:
        if mechanism is not None:
            raise _url_error(url, "sasl_mechanism needs credentials (user:password@)")
        protocol = "SSL" if tls else "PLAINTEXT"
    else:
        protocol = "SASL_SSL" if tls else "SASL_PLAINTEXT"
        mechanism = mechanism or "PLAIN"
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        security_protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username=username,
        sasl_password=password,
        message_timeout_ms=message_timeout_ms,
    )


def settings_from_config(section: RedpandaConfig) -> KafkaSettings:
    """Build :class:`KafkaSettings` from ``[redpanda_config]``.

    With credentials and no ``security_protocol``, ``SASL_PLAINTEXT`` is used; the mechanism defaults to
    ``PLAIN``. Inconsistent settings are a :class:`muskox.errors.ConfigError` naming the key to change.
    """
    fix_url = "or pass the broker as --kafka-url kafka://user:password@host:port"
    if "://" in section.broker or "@" in section.broker:
        raise ConfigError(
            f"redpanda_config.broker '{mask_kafka_url(section.broker)}' must be a host:port list, not a URL",
            f"set broker = \"host:port\" and the sasl_* keys, {fix_url}",
        )
    try:
        bootstrap = parse_broker_list(section.broker)
    except ValueError as exc:
        raise ConfigError(f"redpanda_config.broker is invalid: {exc}",
                          "write it as host:port, or several separated by commas") from None

    username, password = section.sasl_username, section.sasl_password
    if (username is None) != (password is None):
        present, missing = ("sasl_username", "sasl_password") if password is None else (
            "sasl_password", "sasl_username")
        raise ConfigError(f"redpanda_config.{present} is set but {missing} is not",
                          f"set redpanda_config.{missing} too, or remove {present}")
    has_credentials = username is not None

    if section.security_protocol is None:
        protocol = "SASL_PLAINTEXT" if has_credentials else "PLAINTEXT"
    else:
        protocol = section.security_protocol.strip().upper()
        if protocol not in SECURITY_PROTOCOLS:
            raise ConfigError(
                f"redpanda_config.security_protocol '{section.security_protocol}' is not valid",
                f"use one of {', '.join(SECURITY_PROTOCOLS)}",
            )
    sasl = protocol.startswith("SASL_")
    if sasl and not has_credentials:
        raise ConfigError(f"redpanda_config.security_protocol is {protocol} but no SASL credentials are set",
                          "set sasl_username and sasl_password, or use PLAINTEXT / SSL")
    if has_credentials and not sasl:
        raise ConfigError(
            f"redpanda_config has SASL credentials but security_protocol is {protocol}, which sends none",
            "set security_protocol to SASL_PLAINTEXT or SASL_SSL, or remove sasl_username and sasl_password",
        )

    mechanism: str | None = None
    if section.sasl_mechanism is not None:
        mechanism = _normalize_mechanism(section.sasl_mechanism)
        if mechanism is None:
            raise ConfigError(f"redpanda_config.sasl_mechanism '{section.sasl_mechanism}' is not valid",
                              f"use one of {', '.join(SASL_MECHANISMS)}")
        if not has_credentials:
            raise ConfigError("redpanda_config.sasl_mechanism is set but sasl_username/sasl_password are not",
                              "set the credentials too, or remove sasl_mechanism")
    elif has_credentials:
        mechanism = "PLAIN"

    return KafkaSettings(
        bootstrap_servers=bootstrap,
        security_protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username=username,
        sasl_password=password,
        message_timeout_ms=section.message_timeout_ms,
    )


def resolve_settings(config: Config, url: str | None = None) -> KafkaSettings:
    """The settings to use: ``url`` when given, else ``[redpanda_config] url`` (where ``--kafka-url`` and
    ``MUSKOX_REDPANDA_CONFIG__URL`` land), else the section's ``broker`` and SASL/TLS keys.

    ``message_timeout_ms`` always comes from ``[redpanda_config]``.
    """
    section = config.redpanda_config
    url = url if url is not None else section.url
    if url is not None:
        return parse_kafka_url(url, message_timeout_ms=section.message_timeout_ms)
    return settings_from_config(section)
