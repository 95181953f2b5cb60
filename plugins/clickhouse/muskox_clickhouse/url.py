"""ClickHouse connection URLs: parsing, building from ``[clickhouse_config]``, and printing them masked.

URL rules
---------

``SCHEME://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?PARAMETER=VALUE&...]``

=================  ========================  =============  ==============================================
scheme             protocol                  default port   TLS
=================  ========================  =============  ==============================================
``http://``        HTTP (clickhouse-connect)  80            no
``https://``       HTTP (clickhouse-connect)  443           yes
``clickhouse://``  native (asynch)            9000          only on port 9440, or with ``?secure=true``
``clickhouses://`` native (asynch)            9440          yes
=================  ========================  =============  ==============================================

- The HTTP default ports are those of any ``http``/``https`` URL (as Moose does): ClickHouse's usual HTTP
  port, 8123, must be written out (``http://localhost:8123``).
- Query parameters (no others are accepted, nor a fragment):

  - ``?secure=true|false`` chooses TLS on ``clickhouse://`` whatever the port;
  - ``?verify=false`` skips the verification of the server's TLS certificate;
  - ``?ca_cert=PATH`` (``https://`` only): verify the server's certificate against this CA file (PEM) instead
    of the system's trusted CAs (``certifi``: the certifi package's bundle);
  - ``?client_cert=PATH`` and ``?client_cert_key=PATH`` (``https://`` only): present this client certificate
    (PEM; the key may be inside the certificate file) in the TLS handshake. With a password in the URL the
    password authenticates the user and the certificate only serves TLS; without one ClickHouse authenticates
    the user by the certificate.

  Paths are percent-decoded (``%26`` for ``&``); a relative path is relative to the working directory. A
  parameter that cannot take effect (a CA with ``?verify=false``, certificates on ``http://`` or the native
  protocol, a key without a certificate) is an error rather than silently ignored.
- The database is the path's single segment, else ``default``.
- The user (default ``default``) and the password (default empty) are percent-decoded (``%40`` for ``@``,
  ``%3A`` for ``:``, ``%2F`` for ``/``). Everything between ``://`` and the last ``@`` is the user info.
- IPv6 addresses are written in brackets (``http://[::1]:8123``).

A URL breaking these rules is a :class:`muskox.errors.ConfigError` naming the problem and the fix, with the
URL's password masked. No message, ``repr`` or :meth:`ClickHouseUrl.masked` ever shows a password.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Literal

import attrs

from muskox.errors import ConfigError
from muskox.masking import MASK, mask_url

if TYPE_CHECKING:
    from muskox.config import ClickHouseConfig, Config

Protocol = Literal["http", "native"]

HTTP_PORT = 80
HTTPS_PORT = 443
NATIVE_PORT = 9000
NATIVE_TLS_PORT = 9440
DEFAULT_DATABASE = "default"
DEFAULT_USER = "default"

#: scheme -> (protocol, TLS unless the URL says otherwise, default port)
_SCHEMES: dict[str, tuple[Protocol, bool, int]] = {
    "http": ("http", False, HTTP_PORT),
    "https": ("http", True, HTTPS_PORT),
    "clickhouse": ("native", False, NATIVE_PORT),
    "clickhouses": ("native", True, NATIVE_TLS_PORT),
}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_QUERY_KEYS = ("secure", "verify", "ca_cert", "client_cert", "client_cert_key")
#: Query parameters naming files (TLS certificates and keys), passed to the HTTP driver.
_FILE_KEYS = ("ca_cert", "client_cert", "client_cert_key")
URL_SHAPE = ("http://HOST:8123/DATABASE, with the credentials as USER:PASSWORD@ before the host (or https://, "
             "clickhouse:// for the native protocol)")


def _nonempty(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value:
        raise ValueError(f"{attribute.name} must not be empty")


def _valid_port(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 1 <= value <= 65535:
        raise ValueError(f"{attribute.name} must be in 1..65535, not {value}")


@attrs.frozen(kw_only=True)
class ClickHouseUrl:
    """Where and how to connect to ClickHouse; the password is left out of ``repr``."""

    protocol: Protocol
    """``"http"`` (clickhouse-connect) or ``"native"`` (asynch)."""
    host: str = attrs.field(validator=_nonempty)
    port: int = attrs.field(validator=_valid_port)
    secure: bool = False
    """Connect with TLS."""
    verify: bool = True
    """Verify the server's TLS certificate."""
    database: str = attrs.field(default=DEFAULT_DATABASE, validator=_nonempty)
    user: str = attrs.field(default=DEFAULT_USER, validator=_nonempty)
    password: str = attrs.field(default="", repr=False)
    ca_cert: str | None = None
    """The CA file (PEM) to verify the server's certificate against (``https://`` only)."""
    client_cert: str | None = None
    """The client certificate file (PEM) presented in the TLS handshake (``https://`` only)."""
    client_cert_key: str | None = None
    """The client certificate's private key file, when it is not inside :attr:`client_cert`."""

    @property
    def scheme(self) -> str:
        """``http``, ``https`` or ``clickhouse``."""
        if self.protocol == "http":
            return "https" if self.secure else "http"
        return "clickhouse"

    def to_url(self) -> str:
        """The full URL, password included: for drivers only, never for output (use :meth:`masked`)."""
        return self._build(self.password)

    def masked(self) -> str:
        """The URL with the password replaced by ``****``: safe to print and log."""
        return self._build(MASK if self.password else "", quote_password=False)

    def _build(self, password: str, *, quote_password: bool = True) -> str:
        userinfo = urllib.parse.quote(self.user, safe="")
        if password:
            userinfo += ":" + (urllib.parse.quote(password, safe="") if quote_password else password)
        host = f"[{self.host}]" if ":" in self.host else self.host
        params = []
        if self.protocol == "native" and self.secure != (self.port == NATIVE_TLS_PORT):
            params.append(f"secure={'true' if self.secure else 'false'}")
        if not self.verify:
            params.append("verify=false")
        for key in _FILE_KEYS:
            value = getattr(self, key)
            if value is not None:
                params.append(f"{key}={urllib.parse.quote(value, safe='/')}")
        query = ("?" + "&".join(params)) if params else ""
        database = urllib.parse.quote(self.database, safe="")
        return f"{self.scheme}://{userinfo}@{host}:{self.port}/{database}{query}"

    def __str__(self) -> str:
        return self.masked()


def _mask_raw(url: str) -> str:
    """Mask a URL that may not even parse: the standard masking, then any password it appears to carry."""
    masked = mask_url(url)
    _, sep, rest = url.partition("://")
    if sep and "@" in rest:
        userinfo = rest.rpartition("@")[0]
        _, colon, password = userinfo.partition(":")
        if colon and password:
            for secret in {password, urllib.parse.unquote(password)}:
                masked = masked.replace(secret, MASK)
    return masked


def _flag(key: str, value: str, fail: ConfigFail) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise fail(f"?{key}={value} is not a boolean", f"write ?{key}=true or ?{key}=false")


class ConfigFail:
    """Builds the :class:`ConfigError` of one URL: its source and masked text, then the problem and fix."""

    def __init__(self, url: str, source: str) -> None:
        self.prefix = f"{source} {_mask_raw(url)!r} is not a valid ClickHouse URL"

    def __call__(self, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.prefix}: {problem}", fix)


def parse_url(url: str, *, source: str = "ClickHouse URL") -> ClickHouseUrl:
    """Parse a ClickHouse URL by the rules in this module's documentation.

    :param source: where the URL came from, for error messages (``"--clickhouse-url"``,
        ``"[clickhouse_config] url"``).
    :raises ConfigError: for an unknown scheme, a bad port, host, path or query, with the password masked.
    """
    fail = ConfigFail(url, source)
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise fail("it has no scheme", f"write it as {URL_SHAPE}")
    scheme = scheme.lower()
    if scheme not in _SCHEMES:
        raise fail(f"unknown scheme '{scheme}://'",
                   "use http:// or https:// (HTTP interface), clickhouse:// or clickhouses:// (native protocol)")
    protocol, secure, default_port = _SCHEMES[scheme]

    userinfo, at, rest = rest.rpartition("@")
    user, password = DEFAULT_USER, ""
    if at:
        raw_user, _, raw_password = userinfo.partition(":")
        user = urllib.parse.unquote(raw_user) or DEFAULT_USER
        password = urllib.parse.unquote(raw_password)

    try:
        parts = urllib.parse.urlsplit("//" + rest)
        host = parts.hostname or ""
        port = parts.port
    except ValueError as exc:
        problem = str(exc)
        if "port" in problem.lower():
            raise fail("bad port (not a number from 1 to 65535)",
                       "give a port number in 1..65535 after the host, or none") from None
        raise fail(f"bad host ({problem})", f"write it as {URL_SHAPE}") from None
    if not host:
        raise fail("it has no host", f"write it as {URL_SHAPE}")
    if any(ch.isspace() for ch in host):
        raise fail(f"bad host '{host}'", "remove the white space from the host name")
    if port == 0:
        raise fail("bad port (0)", "give a port number in 1..65535 after the host, or none")
    if parts.fragment:
        raise fail("it has a fragment ('#...')", "remove it (percent-encode '#' in a password as %23)")

    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 1:
        raise fail(f"the path '{parts.path}' has more than one segment",
                   "give only the database as the path (/DATABASE)")
    database = urllib.parse.unquote(segments[0]) if segments else DEFAULT_DATABASE

    secure_param: bool | None = None
    verify = True
    files: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if key == "secure":
            secure_param = _flag(key, value, fail)
        elif key == "verify":
            verify = _flag(key, value, fail)
        elif key in _FILE_KEYS:
            if not value.strip():
                raise fail(f"?{key} is empty", f"give the path of a PEM file: ?{key}=/path/to/file.pem")
            files[key] = value
        else:
            raise fail(f"unknown query parameter '{key}'", f"remove it; known parameters: {', '.join(_QUERY_KEYS)}")

    if port is None:
        port = NATIVE_TLS_PORT if protocol == "native" and secure_param else default_port
    if protocol == "http":
        if secure_param is not None and secure_param != secure:
            raise fail(f"?secure={str(secure_param).lower()} contradicts '{scheme}://'",
                       "use https:// for TLS and http:// without, and drop ?secure")
    elif scheme == "clickhouses":
        if secure_param is False:
            raise fail("?secure=false contradicts 'clickhouses://'", "use clickhouse:// without TLS")
    else:
        secure = secure_param if secure_param is not None else port == NATIVE_TLS_PORT
    _check_files(files, protocol=protocol, secure=secure, verify=verify, fail=fail)
    return ClickHouseUrl(protocol=protocol, host=host, port=port, secure=secure, verify=verify,
                         database=database, user=user, password=password, **files)


def _check_files(files: dict[str, str], *, protocol: Protocol, secure: bool, verify: bool, fail: ConfigFail) -> None:
    """Refuse certificate parameters that could not take effect (rather than ignoring them)."""
    if not files:
        return
    named = ", ".join(f"?{key}" for key in files)
    if protocol != "http":
        raise fail(f"{named} is supported with https:// only",
                   "connect over HTTPS (https://HOST:8443), or remove it and rely on the system's trusted CAs")
    if not secure:
        raise fail(f"{named} needs TLS, but 'http://' connects without it", "use https://")
    if "ca_cert" in files and not verify:
        raise fail("?ca_cert contradicts ?verify=false (an unverified certificate needs no CA)",
                   "drop ?verify=false to verify against the CA file, or drop ?ca_cert")
    if "client_cert_key" in files and "client_cert" not in files:
        raise fail("?client_cert_key is given without ?client_cert", "add ?client_cert=/path/to/cert.pem")


def url_from_config(config: ClickHouseConfig, protocol: Protocol = "http") -> ClickHouseUrl:
    """The URL described by ``[clickhouse_config]``: ``url`` when set, else host, ports, user and ``db_name``.

    Without ``url`` the connection is HTTP on ``host_port`` unless ``protocol="native"`` (then ``native_port``);
    ``use_ssl`` turns on TLS.
    """
    if config.url:
        return parse_url(config.url, source="[clickhouse_config] url")
    port = config.host_port if protocol == "http" else config.native_port
    try:
        return ClickHouseUrl(protocol=protocol, host=config.host, port=port, secure=config.use_ssl,
                             database=config.db_name, user=config.user or DEFAULT_USER, password=config.password)
    except ValueError as exc:
        raise ConfigError(f"[clickhouse_config] is invalid: {exc}",
                          "correct host, host_port, native_port and db_name in [clickhouse_config]") from None


def resolve_url(config: Config, url: str | None = None) -> ClickHouseUrl:
    """The URL to use: ``url`` from the command line (``--clickhouse-url``) wins over ``[clickhouse_config]``."""
    if url:
        return parse_url(url, source="--clickhouse-url")
    section = config.clickhouse_config
    if section.url:  # named by where it came from: the file, an environment variable or --clickhouse-url
        return parse_url(section.url, source=config.origins.get("clickhouse_config.url", "[clickhouse_config] url"))
    return url_from_config(section)
