"""Start, stop and inspect the embedded ClickHouse: :class:`LocalClickHouse`.

The launcher never imports chdb: it checks that the ``chdb-core`` distribution is installed and runs
``python -m muskox_clickhouse.local.server`` as a detached process (its own session), records it in a state file once
``GET /ping`` answers and the native port accepts connections, and stops it through the stop FIFO, falling back
to SIGTERM and then SIGKILL. A state file whose process is gone is "stale": :meth:`LocalClickHouse.status` reports
the server stopped and :meth:`LocalClickHouse.start` starts a new one.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import importlib.util
import os
import signal
import site
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

import muskox
from muskox.errors import LocalServerError
from muskox_clickhouse.local import probes, processes
from muskox_clickhouse.local.layout import DEFAULT_HTTP_PORT, DEFAULT_TCP_PORT, LOOPBACK, Layout
from muskox_clickhouse.local.state import RunningServer, ServerStatus, read_state, remove_state, write_state

#: The chdb-core release the server entry point is written against (its legacy ``_chdb.query`` API).
CHDB_DISTRIBUTION = "chdb-core"
CHDB_VERSION = "26.9.0"
INSTALL_FIX = (f"install it with `pip install 'muskox-clickhouse[local]'` "
               f"(or `pip install {CHDB_DISTRIBUTION}=={CHDB_VERSION}`)")

_LOG_TAIL_LINES = 20


class PortInUse(LocalServerError):
    """A port the local server needs is taken by another program."""


class ServerStartFailed(LocalServerError):
    """The server process exited, or did not become ready, during start-up; carries its log tail."""

    def __init__(self, problem: str, fix: str | None = None, *, log_tail: str = "") -> None:
        super().__init__(problem, fix)
        self.log_tail = log_tail

    def one_line(self) -> str:
        """The one-line message, followed by the server log's last lines (indented) when there are any."""
        line = super().one_line()
        if not self.log_tail.strip():
            return line
        return line + "\n" + "\n".join("    " + text for text in self.log_tail.splitlines())


def check_chdb() -> None:
    """Fail with the install fix unless chdb (from ``chdb-core`` 26.9) is importable; never imports it."""
    if importlib.util.find_spec("chdb") is None:
        raise LocalServerError("the embedded ClickHouse needs chdb-core, which is not installed", INSTALL_FIX)
    from importlib import metadata  # only here: commands that never start a server do not load it

    try:
        version = metadata.version(CHDB_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return  # chdb from another distribution: let the server try and report what happens
    if version.split(".")[:2] != CHDB_VERSION.split(".")[:2]:
        raise LocalServerError(
            f"{CHDB_DISTRIBUTION} {version} is installed, but the embedded ClickHouse needs {CHDB_VERSION}",
            f"pip install {CHDB_DISTRIBUTION}=={CHDB_VERSION}",
        )


def _log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _server_env() -> dict[str, str]:
    """The server's environment: ours, unbuffered, and able to import muskox even from a source checkout."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    package_root = str(Path(muskox.__file__).resolve().parent.parent)
    installed = {str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    if package_root not in installed:
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        if package_root not in paths:
            env["PYTHONPATH"] = os.pathsep.join([*paths, package_root])
    return env


class LocalClickHouse:
    """One embedded ClickHouse 26.9 server (from the chdb-core wheel), identified by its data directory.

    It listens on 127.0.0.1 only, over HTTP and the native protocol, as user ``default`` without password.
    MergeTree data survives restarts. **KeeperMap data does not**: it lives in the server's in-process test
    keeper, in memory, so after a restart existing KeeperMap tables report invalid metadata and must be dropped
    and recreated. Other limits (``ON CLUSTER``, Kafka-engine tables, ``CREATE USER``) are listed in the design
    notes on the local server.

    :param data_dir: the server's working and data directory (``<project>/.muskox/clickhouse`` for the CLI).
    :param http_port: the HTTP port to listen on when starting.
    :param tcp_port: the native-protocol port to listen on when starting.
    :param startup_timeout: seconds to wait for the server to answer before giving up.
    :param stop_timeout: seconds to wait for a clean stop before SIGTERM (then as long again before SIGKILL).
    :param python: the interpreter that runs the server (default: this one).
    """

    def __init__(self, data_dir: Path | str, http_port: int = DEFAULT_HTTP_PORT, tcp_port: int = DEFAULT_TCP_PORT,
                 *, startup_timeout: float = 60.0, stop_timeout: float = 10.0, python: str | None = None) -> None:
        self.layout = Layout(Path(data_dir).expanduser().resolve())
        self.http_port = http_port
        self.tcp_port = tcp_port
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.python = python or sys.executable

    @property
    def data_dir(self) -> Path:
        """The server's data directory (absolute)."""
        return self.layout.data_dir

    # -- the three verbs ----------------------------------------------------------------------------------

    def start(self) -> RunningServer:
        """Start the server and wait until it answers; if it already runs, return it (``already_running``).

        Raises :class:`PortInUse` when a port is taken, :class:`ServerStartFailed` (with the log tail) when the
        server dies or does not answer in time, and :class:`LocalServerError` when chdb-core is missing.
        """
        self._check_ports()
        check_chdb()
        self._make_data_dir()
        with self._locked():
            recorded = read_state(self.layout)
            if recorded is not None:
                if processes.alive(recorded.pid):
                    return attrs.evolve(recorded, already_running=True)
                remove_state(self.layout)
            self._check_port_free(self.http_port, "HTTP", "--http-port")
            self._check_port_free(self.tcp_port, "native", "--tcp-port")
            argv = processes.server_argv(self.data_dir, self.http_port, self.tcp_port, self.python)
            pid = processes.spawn(argv, self.data_dir, self.layout.log_file, _server_env())
            try:
                self._wait_ready(pid)
            except BaseException:
                self._terminate(pid)
                raise
            server = RunningServer(
                host=LOOPBACK, http_port=self.http_port, tcp_port=self.tcp_port, pid=pid,
                data_dir=self.data_dir, log_path=self.layout.log_file,
                version=probes.http_query(self.http_port, "SELECT version()"),
                started_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            )
            write_state(self.layout, server)
            return server

    def stop(self) -> RunningServer | None:
        """Stop the server and wait until both its ports are free; returns what was stopped, None if nothing ran.

        A stale state file is removed. Raises :class:`LocalServerError` when the process survives SIGKILL or a
        port stays taken.
        """
        if not self.layout.data_dir.is_dir():
            return None
        with self._locked():
            recorded = read_state(self.layout)
            if recorded is None:
                return None
            if not processes.alive(recorded.pid):
                processes.forget(recorded.pid)
                remove_state(self.layout)
                return None
            self._terminate(recorded.pid)
            self._wait_ports_free(recorded)
            remove_state(self.layout)
            return recorded

    def status(self) -> ServerStatus:
        """Whether the server recorded in the data directory runs, and whether it answers ``/ping``."""
        recorded = read_state(self.layout)
        if recorded is None:
            return ServerStatus(data_dir=self.data_dir, server=None)
        if not processes.alive(recorded.pid):
            return ServerStatus(data_dir=self.data_dir, server=None, stale_pid=recorded.pid)
        return ServerStatus(data_dir=self.data_dir, server=recorded,
                            responding=probes.http_ping(recorded.http_port, recorded.host, timeout=0.5))

    def __enter__(self) -> RunningServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- helpers ------------------------------------------------------------------------------------------

    def _check_ports(self) -> None:
        for port, flag in ((self.http_port, "--http-port"), (self.tcp_port, "--tcp-port")):
            if not 1 <= port <= 65535:
                raise LocalServerError(f"port {port} is not a valid TCP port", f"give {flag} a value in 1..65535")
        if self.http_port == self.tcp_port:
            raise LocalServerError(
                f"the HTTP and native ports are both {self.http_port}",
                "give --http-port and --tcp-port different values",
            )

    def _make_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalServerError(
                f"cannot create the data directory {self.data_dir}: {exc.strerror or exc}",
                "choose another one with --data-dir",
            ) from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the data directory, so concurrent starts and stops take turns."""
        with self.layout.lock_file.open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _check_port_free(self, port: int, label: str, flag: str) -> None:
        if not probes.port_free(port):
            raise PortInUse(
                f"port {port} ({label}) on {LOOPBACK} is already in use by another program",
                f"choose a free port with {flag} (or stop what is listening on {port})",
            )

    def _ready(self) -> bool:
        return probes.http_ping(self.http_port, timeout=0.5) and probes.port_open(self.tcp_port)

    def _wait_ready(self, pid: int) -> None:
        probes.wait_until(lambda: not processes.alive(pid) or self._ready(), self.startup_timeout)
        log = self.layout.log_file
        if not processes.alive(pid):
            code = processes.exit_code(pid)
            raise ServerStartFailed(
                "the local ClickHouse exited during start-up" + (f" with code {code}" if code is not None else ""),
                f"read its log {log} (last lines below)",
                log_tail=_log_tail(log),
            )
        if not self._ready():
            raise ServerStartFailed(
                f"the local ClickHouse did not answer on {LOOPBACK} ports {self.http_port} (HTTP) and "
                f"{self.tcp_port} (native) within {self.startup_timeout:.0f} s",
                f"read its log {log} (last lines below)",
                log_tail=_log_tail(log),
            )

    def _request_stop(self) -> bool:
        """Write a line to the stop FIFO without blocking; False when the server is not reading it."""
        try:
            fd = os.open(self.layout.stop_fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return False
        try:
            os.write(fd, b"stop\n")
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    def _terminate(self, pid: int) -> None:
        """Stop the server process: the FIFO, then SIGTERM, then SIGKILL to its process group."""

        def gone() -> bool:
            return not processes.alive(pid)

        if not (self._request_stop() and probes.wait_until(gone, self.stop_timeout)):
            processes.signal_group(pid, signal.SIGTERM)
            if not probes.wait_until(gone, self.stop_timeout):
                processes.signal_group(pid, signal.SIGKILL)
                if not probes.wait_until(gone, 5.0):
                    raise LocalServerError(
                        f"the local ClickHouse (pid {pid}) survived SIGKILL", f"check the process with `ps -p {pid}`"
                    )
        processes.forget(pid)

    def _wait_ports_free(self, server: RunningServer) -> None:
        ports = (server.http_port, server.tcp_port)
        if probes.wait_until(lambda: all(probes.port_free(p) for p in ports), 10.0, interval=0.1):
            return
        taken = ", ".join(str(p) for p in ports if not probes.port_free(p))
        raise LocalServerError(
            f"the local ClickHouse (pid {server.pid}) stopped, but port(s) {taken} on {LOOPBACK} are still in use",
            "find the program holding them (`ss -ltnp`) and stop it",
        )
