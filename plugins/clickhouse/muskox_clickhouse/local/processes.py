"""The server process: spawning it detached, telling whether it is alive, and ending its process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The marker looked for in ``/proc/<pid>/cmdline``: a recycled pid running something else is not our server.
SERVER_MODULE = "muskox_clickhouse.local.server"

# Servers started by this process, so that they are reaped (no zombies) and never warned about as leaked.
_children: dict[int, subprocess.Popen[bytes]] = {}


def server_argv(data_dir: Path, http_port: int, tcp_port: int, python: str | None = None) -> list[str]:
    """The command line of the server process."""
    return [
        python or sys.executable, "-m", SERVER_MODULE,
        "--data-dir", str(data_dir), "--http-port", str(http_port), "--tcp-port", str(tcp_port),
    ]


def spawn(argv: Sequence[str], cwd: Path, log_path: Path, env: Mapping[str, str]) -> int:
    """Start ``argv`` in its own session (detached from the terminal), output to ``log_path``; returns its pid."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )
    _children[process.pid] = process
    return process.pid


def exit_code(pid: int) -> int | None:
    """The exit code of a server this process started and that has exited; None otherwise."""
    process = _children.get(pid)
    return process.poll() if process is not None else None


def _proc_cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def alive(pid: int) -> bool:
    """True when ``pid`` is a live (not zombie) server process started by a muskox launcher."""
    process = _children.get(pid)
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if _is_zombie(pid):
        return False
    cmdline = _proc_cmdline(pid)
    # Without /proc, trust the pid; with it, a recycled pid running something else is not our server.
    return cmdline is None or SERVER_MODULE.encode() in cmdline


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the server's process group (it leads its own session), ignoring a vanished process."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def forget(pid: int) -> None:
    """Reap a server this process started, once it has exited."""
    process = _children.pop(pid, None)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=1)
