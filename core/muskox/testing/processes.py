"""Free loopback ports and child server processes that are always cleaned up."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from muskox.errors import MuskoxError
from muskox.loopback import port_open, wait_until

__all__ = ["LOOPBACK", "ServerProcess", "free_port", "port_open", "run_server", "wait_until"]

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])






class ServerProcess:
    """A child server process with its log file; :meth:`stop` always leaves nothing running."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        """Wait for ``ready()``; on timeout or early exit, stop the server and raise with its log."""

        def check() -> bool:
            if self.process.poll() is not None:
                return True
            return ready()

        wait_until(check, timeout)
        if self.process.poll() is not None or not ready():
            code = self.process.poll()
            self.stop()
            state = f"exited with code {code}" if code is not None else f"not ready after {timeout:.0f} s"
            raise RuntimeError(f"{self.name} {state}; log {self.log_path}:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group, then SIGKILL what is left after ``timeout``."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self._log.close()


@contextlib.contextmanager
def run_server(name: str, argv_for: Callable[[int], Sequence[str]], ready: Callable[[int], bool],
               directory: Path, *, error: type[MuskoxError], fix: str, ready_timeout: float,
               env: dict[str, str] | None = None, attempts: int = 3) -> Iterator[tuple[int, ServerProcess]]:
    """Start a server on a free port, retrying on a new port when it dies early (a port race).

    Yields ``(port, process)`` once ``ready(port)`` holds and always stops the process afterwards. When it
    cannot start, raises ``error`` (a :class:`MuskoxError` subclass) naming the cause and ``fix``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(1, attempts + 1):
        port = free_port()
        argv = list(argv_for(port))
        try:
            server = ServerProcess(name, argv, directory / f"{name}-{attempt}.log", cwd=directory, env=env)
        except OSError as exc:
            raise error(f"could not run {argv[0]}: {exc}", fix) from exc
        try:
            server.wait_ready(functools.partial(ready, port), ready_timeout)
        except RuntimeError as exc:
            last_error = exc
            continue
        except BaseException:
            server.stop()
            raise
        try:
            yield port, server
        finally:
            server.stop()
        return
    raise error(f"{name} ({argv[0]}) did not start after {attempts} attempts: {last_error}",
                f"read the log above; if the binary is broken, {fix}")
