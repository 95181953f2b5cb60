"""The HTTP server of ``muskox prod``: ``GET /health`` and the Admin API, on the standard library alone.

The port is *reserved* (bound, not listening) before the migration runs, so a port where another server
listens stops the boot before anything touches the database, and a client connecting during the migration is
refused rather than left waiting. :meth:`ProdServer.start` starts listening once the migration succeeded: from then on
``/health`` answers 200 until :meth:`ProdServer.draining` (the application is being stopped) turns it to 503.

Requests are logged at INFO level as method, path (without query string) and status — never a header, so a
bearer token never reaches a log.
"""

from __future__ import annotations

import http
import http.server
import logging
import socket
import threading
from typing import Any

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.server.admin_api import AdminApi, Reply, error_reply
from muskox.server.limits import DEFAULT_IDLE, idle_seconds, max_threads

log = logging.getLogger("muskox.server.boot")

HEALTH_PATH = "/health"
MAX_BODY_BYTES = 64 * 1024 * 1024


class PortUnavailable(MuskoxError):
    """The HTTP server's address cannot be bound (in use, or not a local address)."""

    exit_code = ExitCode.CONFIG


class _Handler(http.server.BaseHTTPRequestHandler):
    """One request: routes to /health or the Admin API; everything else is 404. A connection silent for
    :func:`idle_seconds` is closed."""

    server: _Server
    timeout = DEFAULT_IDLE
    server_version = "muskox"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own refusals (bad request line, oversized headers, unknown method, timeouts)
        as JSON, like every other reply."""
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # a garbled request line still gets a status line and headers
        try:
            text = message or http.HTTPStatus(code).phrase
        except ValueError:
            text = message or "error"
        reply = error_reply(code, text)
        data = reply.encoded()
        self.send_response(code, text)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        admin = owner.admin
        if path == HEALTH_PATH:
            reply = owner.health() if method in ("GET", "HEAD") else error_reply(405, "/health takes GET")
        elif admin is not None and admin.handles(path) and self._body_length() > MAX_BODY_BYTES:
            reply = error_reply(413, f"the request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
        elif admin is not None and admin.handles(path):
            reply = admin.handle(method, path, self.headers.get("Authorization"), self._read_body)
        else:
            reply = error_reply(404, f"not found: {path}")
        self._send(reply, with_body=method != "HEAD")

    def _body_length(self) -> int:
        try:
            return max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return 0

    def _read_body(self) -> bytes:
        length = self._body_length()
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply, *, with_body: bool) -> None:
        data = reply.encoded()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if reply.status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="muskox admin"')
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", None) or ""
        log.info("%s %s %s", getattr(self, "command", None) or "-", path.split("?", 1)[0], code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


class _Server(http.server.ThreadingHTTPServer):
    """One thread per request, at most :func:`max_threads` at once: beyond that a connection gets 503 at once."""

    owner: ProdServer
    _slots: threading.BoundedSemaphore | None = None

    def process_request(self, request: Any, client_address: Any) -> None:
        if self._slots is None:
            self._slots = threading.BoundedSemaphore(max_threads())
        if not self._slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            if self._slots is not None:
                self._slots.release()


def _refuse_busy(request: socket.socket) -> None:
    """503 in JSON, written without reading the request (no thread is spent on it)."""
    body = error_reply(503, "the server is busy: too many connections at once; retry").encoded()
    head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    try:
        request.settimeout(1.0)
        request.sendall(head + body)
    except OSError:
        pass


class ProdServer:
    """``/health`` and the Admin API on ``host:port``; reserve, start, drain, stop."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.admin: AdminApi | None = None
        self._healthy = False
        self._draining = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port (the port the OS chose when configured as 0)."""
        if self._server is None:
            return self.host, self.port
        bound = self._server.socket.getsockname()
        return str(bound[0]), int(bound[1])

    @property
    def url(self) -> str:
        """``http://host:port`` of the server."""
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def reserve(self) -> None:
        """Bind the address without listening: fails fast when a server already listens there."""
        family = _family(self.host, self.port)
        server_class = type("_BoundServer", (_Server,), {"address_family": family})
        server: _Server = server_class((self.host, self.port), _Handler, bind_and_activate=False)
        server.owner = self
        try:
            server.server_bind()
        except OSError as exc:
            server.server_close()
            raise PortUnavailable(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                "free the port or set [http_server_config] host/port (MUSKOX_HTTP_SERVER_CONFIG__PORT)",
            ) from None
        self._server = server

    def start(self, admin: AdminApi) -> None:
        """Listen and serve (``admin`` answers ``/admin/…``) in a background thread; ``/health`` is 200 from now
        on."""
        if self._server is None:
            self.reserve()
        assert self._server is not None
        self.admin = admin
        self._healthy = True
        try:
            self._server.server_activate()
        except OSError as exc:  # another process reserved the same port meanwhile and listens first
            raise PortUnavailable(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                "free the port or set [http_server_config] host/port (MUSKOX_HTTP_SERVER_CONFIG__PORT)",
            ) from None
        _Handler.timeout = idle_seconds()
        self._thread = threading.Thread(target=self._server.serve_forever, name="muskox-http", daemon=True)
        self._thread.start()

    def draining(self) -> None:
        """``/health`` answers 503 from now on (the application is stopping)."""
        self._draining = True

    def health(self) -> Reply:
        """200 ``{"status": "healthy"}`` after the migration succeeded; 503 while stopping."""
        if self._healthy and not self._draining:
            return Reply(200, {"status": "healthy"})
        return Reply(503, {"status": "stopping" if self._draining else "starting"})

    def stop(self) -> None:
        """Stop serving and close the socket (safe to call twice, and before :meth:`start`)."""
        server, self._server = self._server, None
        if server is None:
            return
        if self._thread is not None:
            server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        server.server_close()


def _family(host: str, port: int) -> socket.AddressFamily:
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortUnavailable(f"cannot resolve the HTTP server host {host!r}: {exc.strerror}",
                              "set [http_server_config] host to a local address (e.g. 0.0.0.0)") from None
    families = [info[0] for info in infos]
    return socket.AF_INET if socket.AF_INET in families else families[0]
