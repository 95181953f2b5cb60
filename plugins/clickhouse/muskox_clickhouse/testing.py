"""The ``clickhouse_server`` fixture: a real ClickHouse 26.9 (from chdb-core) for the whole test session.

It runs through the same launcher as ``muskox local start``, on free loopback ports, in a temporary data
directory, and is always stopped at the end of the session. A server that cannot start fails the tests with
the reason and the server's log tail; nothing is skipped. Importing this module does not import chdb or any
database driver.

``clickhouse_tls_server`` (or :func:`shared_tls_clickhouse`, for a test module's own fixture) is a second server
with users that have passwords, reached over HTTPS with a certificate from a test CA; see :class:`TlsClickHouse`.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import shutil
import socket
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from muskox.errors import MuskoxError
from muskox.testing.processes import LOOPBACK, free_port
from muskox_clickhouse.local import LocalClickHouse, PortInUse, RunningServer, ServerStartFailed

_START_ATTEMPTS = 3


def _two_free_ports() -> tuple[int, int]:
    http_port = free_port()
    tcp_port = free_port()
    while tcp_port == http_port:
        tcp_port = free_port()
    return http_port, tcp_port


def start_clickhouse(data_dir: Path, attempts: int = _START_ATTEMPTS) -> tuple[LocalClickHouse, RunningServer]:
    """Start a server in ``data_dir`` on free ports; a port taken in the meantime is retried on new ones.

    Raises the launcher's :class:`muskox.errors.LocalServerError` when the server cannot start.
    """
    last_error: PortInUse | ServerStartFailed | None = None
    for _ in range(attempts):
        local = LocalClickHouse(data_dir, *_two_free_ports())
        try:
            return local, local.start()
        except (PortInUse, ServerStartFailed) as exc:  # most likely a port race with another process
            last_error = exc
    assert last_error is not None
    raise last_error


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A running ClickHouse 26.9 shared by the session: ``.http_url``, ``.native_url``, ports, ``.pid``.

    User ``default`` without password, loopback only. The ``default`` database has the ``Overlay`` engine (a
    clickhouse-local quirk), so tests create their own databases, with names unique to the test.
    """
    local, server = start_clickhouse(tmp_path_factory.mktemp("clickhouse"))
    try:
        yield server
    finally:
        local.stop()


# -- a second server: users with passwords, reached over HTTPS ------------------------------------------------
#
# The embedded ClickHouse (clickhouse-local) starts only its TCP and HTTP listeners: ``SYSTEM START LISTEN HTTPS``
# fails with UNSUPPORTED_METHOD and an ``<https_port>`` in its configuration is never opened. HTTPS is therefore
# served by a TLS front in the test process: a real TLS endpoint with a certificate from a test CA (made with the
# ``openssl`` command) that relays the decrypted bytes to the server's HTTP port. The users with passwords come
# from ``users.d/`` in the server's data directory, which ClickHouse merges into the ``users.xml`` muskox writes
# (``config.d/`` likewise adds ``system.query_log`` to its ``config.xml``).

OPENSSL_FIX = "install the openssl command (`apt-get install -y openssl` on Debian/Ubuntu)"
TLS_USER = "migrator"
TLS_READONLY_USER = "reader"


@attrs.frozen
class TlsCertificates:
    """PEM files: a test CA, a server certificate for 127.0.0.1 and ``localhost``, and a client certificate."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(directory: Path, *args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise MuskoxError("the TLS test fixtures need the openssl command, which is not installed", OPENSSL_FIX)
    result = subprocess.run([openssl, *args], cwd=directory, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise MuskoxError(f"openssl {args[0]} failed: {result.stderr.strip()[-500:]}")


def make_certificates(directory: Path) -> TlsCertificates:
    """A test CA in ``directory`` and, signed by it, a server and a client certificate (EC P-256, two days)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(directory, "req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=muskox test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, subject, extensions in (
        ("server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
        ("client", f"/CN={TLS_USER}", "extendedKeyUsage=clientAuth\n"),
    ):
        (directory / f"{name}.ext").write_text(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n"
            "authorityKeyIdentifier=keyid\n" + extensions)
        _openssl(directory, "req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
        _openssl(directory, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return TlsCertificates(ca_cert=directory / "ca.pem", server_cert=directory / "server.pem",
                           server_key=directory / "server.key", client_cert=directory / "client.pem",
                           client_key=directory / "client.key")


class TlsFront:
    """TLS on a free loopback port in front of a plain TCP port: each connection's decrypted bytes are relayed.

    It runs an event loop in a daemon thread of the test process. With ``require_client_cert`` the handshake
    fails unless the client presents a certificate signed by the test CA.
    """

    def __init__(self, upstream_port: int, certificates: TlsCertificates, *, require_client_cert: bool = False) -> None:
        self.upstream_port = upstream_port
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificates.server_cert, certificates.server_key)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(certificates.ca_cert)
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda loop, details: None)  # refused handshakes are what tests expect
        listener = socket.create_server((LOOPBACK, 0))
        self.port: int = listener.getsockname()[1]
        self._server = self._loop.run_until_complete(asyncio.start_server(self._relay, sock=listener, ssl=context))
        self._thread = threading.Thread(target=self._loop.run_forever, name="muskox-tls-front", daemon=True)
        self._thread.start()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._writers.add(client_writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(LOOPBACK, self.upstream_port)
        except OSError:
            client_writer.close()
            self._writers.discard(client_writer)
            return
        self._writers.add(upstream_writer)
        await asyncio.gather(self._pump(client_reader, upstream_writer), self._pump(upstream_reader, client_writer),
                             return_exceptions=True)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()
            self._writers.discard(writer)

    def close(self) -> None:
        """Stop listening, close every relayed connection and the event loop. Safe to call twice."""
        if self._loop.is_closed():
            return

        async def shut() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def render_test_users_xml(password: str) -> str:
    """``users.d`` content: :data:`TLS_USER` (all rights) and :data:`TLS_READONLY_USER` (``readonly = 1``), both
    with ``password``, from loopback only."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    users = "".join(
        f"""
        <{name}>
            <password_sha256_hex>{digest}</password_sha256_hex>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>{profile}</profile>
            <quota>default</quota>
        </{name}>"""
        for name, profile in ((TLS_USER, "default"), (TLS_READONLY_USER, "muskox_readonly")))
    return f"""<?xml version="1.0"?>
<clickhouse>
    <profiles>
        <muskox_readonly>
            <readonly>1</readonly>
            <network_compression_method>LZ4</network_compression_method>
        </muskox_readonly>
    </profiles>
    <users>{users}
    </users>
</clickhouse>
"""


#: ``config.d`` content turning on ``system.query_log`` (the embedded server keeps none by default).
QUERY_LOG_XML = """<?xml version="1.0"?>
<clickhouse>
    <query_log>
        <database>system</database>
        <table>query_log</table>
        <flush_interval_milliseconds>7500</flush_interval_milliseconds>
    </query_log>
</clickhouse>
"""


@attrs.frozen
class TlsClickHouse:
    """A second embedded ClickHouse with password users, reached over HTTPS through :class:`TlsFront`.

    ``server`` is the embedded server itself (plain HTTP and native, user ``default`` without password, as for
    ``clickhouse_server``); ``https_port`` accepts any TLS client, ``mtls_port`` only clients presenting
    ``certificates.client_cert``. :data:`TLS_USER` and :data:`TLS_READONLY_USER` both have ``password``. The
    server keeps ``system.query_log`` (``SYSTEM FLUSH LOGS`` before reading it).
    """

    server: RunningServer
    https_port: int
    mtls_port: int
    certificates: TlsCertificates
    password: str = attrs.field(repr=False)
    user: str = TLS_USER
    readonly_user: str = TLS_READONLY_USER

    def https_url(self, database: str | None = None, *, user: str | None = None, password: str | None = None,
                  port: int | None = None, **params: str) -> str:
        """``https://USER:PASSWORD@127.0.0.1:PORT[/DATABASE][?PARAMS]`` (user and password percent-encoded)."""
        userinfo = urllib.parse.quote(user or self.user, safe="")
        userinfo += ":" + urllib.parse.quote(self.password if password is None else password, safe="")
        path = f"/{database}" if database else ""
        query = ("?" + urllib.parse.urlencode(params, safe="/")) if params else ""
        return f"https://{userinfo}@{LOOPBACK}:{port or self.https_port}{path}{query}"


def start_tls_clickhouse(data_dir: Path) -> tuple[TlsClickHouse, Callable[[], None]]:
    """Start :class:`TlsClickHouse` in ``data_dir``; returns it and the function that stops it all."""
    password = f"pw:@/{secrets.token_hex(8)}"  # characters a URL must percent-encode
    certificates = make_certificates(data_dir / "tls")
    users_d = data_dir / "server" / "users.d"
    users_d.mkdir(parents=True, exist_ok=True)
    (users_d / "muskox-test-users.xml").write_text(render_test_users_xml(password), encoding="utf-8")
    config_d = data_dir / "server" / "config.d"
    config_d.mkdir(exist_ok=True)
    (config_d / "muskox-test-query-log.xml").write_text(QUERY_LOG_XML, encoding="utf-8")
    local, server = start_clickhouse(data_dir / "server")
    fronts: list[TlsFront] = []

    def stop() -> None:
        for front in fronts:
            front.close()
        local.stop()

    try:
        fronts.append(TlsFront(server.http_port, certificates))
        fronts.append(TlsFront(server.http_port, certificates, require_client_cert=True))
    except BaseException:
        stop()
        raise
    return TlsClickHouse(server=server, https_port=fronts[0].port, mtls_port=fronts[1].port,
                         certificates=certificates, password=password), stop


_TLS_SERVER = pytest.StashKey[TlsClickHouse]()


def shared_tls_clickhouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TlsClickHouse:
    """The session's :class:`TlsClickHouse`, started on the first call and stopped when the session ends.

    For session-scoped fixtures of test modules (``@pytest.fixture(scope="session") def tls_server(request,
    tmp_path_factory): return shared_tls_clickhouse(request, tmp_path_factory)``): however many modules define
    one, they share a single server.
    """
    stash = request.config.stash
    if _TLS_SERVER not in stash:
        server, stop = start_tls_clickhouse(tmp_path_factory.mktemp("clickhouse-tls"))
        stash[_TLS_SERVER] = server
        request.config.add_cleanup(stop)
    return stash[_TLS_SERVER]


@pytest.fixture(scope="session")
def clickhouse_tls_server(request: pytest.FixtureRequest,
                          tmp_path_factory: pytest.TempPathFactory) -> TlsClickHouse:
    """A :class:`TlsClickHouse` for the whole session (see :func:`shared_tls_clickhouse`)."""
    return shared_tls_clickhouse(request, tmp_path_factory)
