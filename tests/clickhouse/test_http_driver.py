"""The HTTP driver (clickhouse-connect) against real servers: settings, the session, late errors, compression,
read-only users, TLS (CA file, client certificates, passwords), proxies from the environment and timeouts; and
the URL parameters that configure TLS."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from muskox.errors import ConfigError, ConnectionFailed
from muskox_clickhouse import ClickHouseServerError, connect, parse_url
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.drivers.http import HttpClient
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.testing import TlsClickHouse, shared_tls_clickhouse


@pytest.fixture(scope="session")
def tls_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TlsClickHouse:
    return shared_tls_clickhouse(request, tmp_path_factory)


@pytest.fixture
def client(clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False, connect_timeout=5,
                 query_timeout=60) as opened:
        yield opened


@pytest.fixture
def database(client: ClickHouseClient) -> Iterator[str]:
    name = f"http_{uuid.uuid4().hex[:8]}"
    client.command(f"CREATE DATABASE `{name}`")
    yield name
    client.command(f"DROP DATABASE IF EXISTS `{name}` SYNC")


def secrets_in(text: str, tls: TlsClickHouse) -> list[str]:
    """The forms of the test password (plain and percent-encoded) found in ``text``."""
    from urllib.parse import quote

    return [form for form in {tls.password, quote(tls.password, safe="")} if form in text]


# -- statements ---------------------------------------------------------------------------------------------------


def test_the_http_client_is_clickhouse_connect(client: ClickHouseClient) -> None:
    assert isinstance(client, HttpClient)
    assert type(client._client).__module__.startswith("clickhouse_connect.")


def test_commands_send_settings_as_the_server_reads_them(client: ClickHouseClient, database: str) -> None:
    client.command(f"CREATE TABLE `{database}`.s ENGINE = Memory AS SELECT getSetting('max_threads') AS threads, "
                   "getSetting('flatten_nested') AS flatten", settings={"max_threads": 3, "flatten_nested": False})
    assert client.select_rows(f"SELECT toUInt64(threads), toUInt8(flatten) FROM `{database}`.s") == [(3, 0)]


def test_a_set_lasts_for_the_session(client: ClickHouseClient, database: str) -> None:
    client.command("SET max_threads = 5")
    client.command(f"CREATE TABLE `{database}`.s ENGINE = Memory AS SELECT getSetting('max_threads') AS threads")
    assert client.select_rows(f"SELECT toUInt64(threads) FROM `{database}`.s") == [(5,)]
    assert client.query("SELECT toUInt64(getSetting('max_threads'))") == [(5,)]


def test_a_rejected_statement_is_the_servers_error(client: ClickHouseClient) -> None:
    with pytest.raises(ClickHouseServerError) as info:
        client.command("CREATE TABLE no_such_database_here.t (x UInt8) ENGINE = Memory")
    assert info.value.code == 81
    with pytest.raises(ClickHouseServerError) as syntax:
        client.command("CREATE TABEL t (x UInt8)")
    assert (syntax.value.code, syntax.value.name) == (62, "SYNTAX_ERROR")
    assert "\n" not in str(syntax.value)


LATE_FAILURE = "SELECT throwIf(number = 3000000, 'late failure') FROM system.numbers LIMIT 4000000"


@pytest.mark.parametrize("method", ["command", "query", "select_rows"])
def test_an_error_after_the_answer_started_is_the_servers_error(client: ClickHouseClient, method: str) -> None:
    """Small blocks make the server start answering long before the row that fails."""
    with pytest.raises(ClickHouseServerError) as info:
        if method == "select_rows":
            client.select_rows(LATE_FAILURE + " SETTINGS max_block_size = 1000")
        else:
            getattr(client, method)(LATE_FAILURE, settings={"max_block_size": 1000})
    assert info.value.code == 395  # FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
    assert "late failure" in str(info.value)


def test_the_client_still_works_after_a_server_error(client: ClickHouseClient) -> None:
    with pytest.raises(ClickHouseServerError):
        client.command(LATE_FAILURE, settings={"max_block_size": 1000})
    assert client.select_rows("SELECT 1") == [(1,)]


def test_server_version_is_the_servers(client: ClickHouseClient) -> None:
    assert client.server_version() == str(client.select_rows("SELECT version()")[0][0])


def test_close_is_idempotent(clickhouse_server: RunningServer) -> None:
    opened = connect(parse_url(clickhouse_server.http_url))
    opened.close()
    opened.close()


# -- compression --------------------------------------------------------------------------------------------------


def test_a_loopback_server_is_not_asked_to_compress(client: ClickHouseClient) -> None:
    assert isinstance(client, HttpClient)
    assert client.compression is None


def test_compressed_answers_are_read(clickhouse_server: RunningServer) -> None:
    """What a remote server is asked for: compressed answers (26.9 compresses whenever asked), decoded."""
    with HttpClient(parse_url(clickhouse_server.http_url), use_database=False, connect_timeout=5, query_timeout=30,
                    compress=True) as compressed:
        assert compressed.compression
        assert compressed.query("SELECT toUInt8(getSetting('enable_http_compression'))") == [(1,)]
        rows = compressed.select_rows("SELECT number, toString(number) FROM system.numbers LIMIT 20000")
    assert rows == [(n, str(n)) for n in range(20000)]


# -- timeouts -----------------------------------------------------------------------------------------------------


def test_the_connection_check_is_bounded_by_the_connect_timeout(clickhouse_server: RunningServer) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = parse_url(f"http://127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        with pytest.raises(ConnectionFailed, match="did not answer within 1 s"):
            connect(url, connect_timeout=1, query_timeout=120)
    assert time.monotonic() - started < 30


# -- read-only users ----------------------------------------------------------------------------------------------


@pytest.fixture
def reader(tls_server: TlsClickHouse) -> Iterator[ClickHouseClient]:
    url = parse_url(tls_server.https_url(user=tls_server.readonly_user, ca_cert=str(tls_server.certificates.ca_cert)))
    with connect(url, use_database=False) as opened:
        yield opened


def test_a_readonly_user_reads(reader: ClickHouseClient) -> None:
    assert reader.query("SELECT currentUser(), toUInt8(getSetting('readonly'))") == [("reader", 1)]
    assert reader.select_rows("SELECT name FROM system.databases WHERE name = 'system'") == [("system",)]
    reader.command("SELECT 1")  # a statement for its effect, answered in full
    assert reader.server_version().startswith("26.9.")


def test_a_readonly_user_may_not_change_settings(reader: ClickHouseClient) -> None:
    with pytest.raises(ClickHouseServerError) as info:
        reader.query("SELECT 1", settings={"max_threads": 3})
    assert (info.value.code, info.value.name) == (164, "READONLY")
    with pytest.raises(ClickHouseServerError) as server:
        reader.command("SET max_threads = 3")
    assert server.value.code == 164


# -- TLS and passwords --------------------------------------------------------------------------------------------


def test_https_with_the_ca_file_and_a_password(tls_server: TlsClickHouse) -> None:
    url = parse_url(tls_server.https_url("default", ca_cert=str(tls_server.certificates.ca_cert)))
    assert url.password == tls_server.password
    with connect(url) as opened:
        assert opened.query("SELECT currentUser(), toUInt8(getSetting('readonly'))") == [("migrator", 0)]


def test_an_unknown_ca_is_a_tls_failure(tls_server: TlsClickHouse) -> None:
    with pytest.raises(ConnectionFailed) as info:
        connect(parse_url(tls_server.https_url()))
    message = info.value.one_line()
    assert "TLS with ClickHouse at https://migrator:****@127.0.0.1:" in message
    assert "certificate verify failed" in message
    assert not secrets_in(message, tls_server)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_false_accepts_the_certificate(tls_server: TlsClickHouse) -> None:
    with connect(parse_url(tls_server.https_url(verify="false"))) as opened:
        assert opened.select_rows("SELECT 1") == [(1,)]


def test_a_wrong_password_over_https(tls_server: TlsClickHouse) -> None:
    url = parse_url(tls_server.https_url(password=tls_server.password + "x",
                                         ca_cert=str(tls_server.certificates.ca_cert)))
    with pytest.raises(ConnectionFailed) as info:
        connect(url)
    message = info.value.one_line()
    assert "refused the credentials of user 'migrator'" in message
    assert "****" in message
    assert not secrets_in(message, tls_server)
    assert all(not secrets_in(str(cause), tls_server) for cause in (info.value.__cause__, info.value.__context__))


def test_a_client_certificate_where_the_server_requires_one(tls_server: TlsClickHouse) -> None:
    certificates = tls_server.certificates
    url = tls_server.https_url(port=tls_server.mtls_port, ca_cert=str(certificates.ca_cert),
                               client_cert=str(certificates.client_cert),
                               client_cert_key=str(certificates.client_key))
    with connect(parse_url(url)) as opened:  # the password authenticates, the certificate serves TLS
        assert opened.query("SELECT currentUser()") == [("migrator",)]
    with pytest.raises(ConnectionFailed) as info:
        connect(parse_url(tls_server.https_url(port=tls_server.mtls_port, ca_cert=str(certificates.ca_cert))))
    assert f"127.0.0.1:{tls_server.mtls_port}" in info.value.one_line()
    assert not secrets_in(info.value.one_line(), tls_server)


def test_a_missing_certificate_file_is_a_config_error(tls_server: TlsClickHouse) -> None:
    with pytest.raises(ConfigError, match=r"the CA certificate file '/no/such/ca.pem' \(\?ca_cert= in the URL"):
        connect(parse_url(tls_server.https_url(ca_cert="/no/such/ca.pem")))


def test_plain_http_to_a_tls_port_fails_cleanly(tls_server: TlsClickHouse) -> None:
    with pytest.raises(ConnectionFailed, match=f"127.0.0.1:{tls_server.https_port}"):
        connect(parse_url(f"http://127.0.0.1:{tls_server.https_port}"), connect_timeout=5)


# -- proxies from the environment ---------------------------------------------------------------------------------


class RefusingProxy:
    """An HTTP proxy that records each request line and answers 502 Bad Gateway."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with connection:
                data = b""
                while b"\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.request_lines.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
                connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[RefusingProxy]:
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = RefusingProxy()
    monkeypatch.setenv("HTTP_PROXY", server.url)
    yield server
    server.close()


def test_http_proxy_from_the_environment_is_used(clickhouse_server: RunningServer, proxy: RefusingProxy) -> None:
    with pytest.raises(ConnectionFailed):
        connect(parse_url(clickhouse_server.http_url), connect_timeout=5)
    assert proxy.request_lines
    assert proxy.request_lines[0].startswith(f"POST http://127.0.0.1:{clickhouse_server.http_port}/")


def test_no_proxy_bypasses_it(clickhouse_server: RunningServer, proxy: RefusingProxy,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with connect(parse_url(clickhouse_server.http_url)) as opened:
        assert opened.select_rows("SELECT 1") == [(1,)]
    assert proxy.request_lines == []


# -- URL parameters -----------------------------------------------------------------------------------------------


def test_certificate_parameters_are_parsed_and_kept() -> None:
    url = parse_url("https://u:p@h:8443/db?ca_cert=/etc/ca%20dir/ca.pem&client_cert=c.pem&client_cert_key=%7E/k.pem")
    assert (url.ca_cert, url.client_cert, url.client_cert_key) == ("/etc/ca dir/ca.pem", "c.pem", "~/k.pem")
    assert parse_url(url.to_url()) == url
    assert url.masked() == ("https://u:****@h:8443/db?ca_cert=/etc/ca%20dir/ca.pem&client_cert=c.pem"
                            "&client_cert_key=~/k.pem")
    assert parse_url("https://h?ca_cert=certifi").ca_cert == "certifi"


@pytest.mark.parametrize(("url", "problem", "fix"), [
    ("http://h?ca_cert=/ca.pem", "?ca_cert needs TLS", "use https://"),
    ("clickhouse://h?client_cert=/c.pem", "is supported with https:// only", "HTTPS"),
    ("clickhouses://h?ca_cert=/ca.pem", "is supported with https:// only", "HTTPS"),
    ("https://h?ca_cert=/ca.pem&verify=false", "contradicts ?verify=false", "drop"),
    ("https://h?client_cert_key=/k.pem", "without ?client_cert", "?client_cert="),
    ("https://h?ca_cert=", "?ca_cert is empty", "PEM file"),
    ("https://h?cert=/c.pem", "unknown query parameter 'cert'", "ca_cert, client_cert, client_cert_key"),
])
def test_certificate_parameters_that_cannot_take_effect(url: str, problem: str, fix: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_url(url)
    assert problem in info.value.problem
    assert info.value.fix is not None and fix in info.value.fix
