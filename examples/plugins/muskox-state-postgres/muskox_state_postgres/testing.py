"""The pytest plugin of muskox-state-postgres: ``postgres_server``, Debian's PostgreSQL on a free loopback port.

The server is initialised (``initdb``, trust authentication on loopback only) in a fresh temporary directory,
runs for the test session and is stopped (and its directory removed) afterwards. The binaries come from
``/usr/lib/postgresql/<version>/bin`` (``apt-get install postgresql``), or from ``MUSKOX_POSTGRES_BIN``. PostgreSQL
refuses to run as root, so under root it runs as the ``postgres`` user (or ``nobody``). A server that cannot
start fails the test with its log; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ENV_BIN = "MUSKOX_POSTGRES_BIN"
INSTALL_FIX = "install it with `apt-get install -y postgresql` (Debian/Ubuntu), or set MUSKOX_POSTGRES_BIN"
READY_TIMEOUT = 60.0


@attrs.frozen
class PostgresServer:
    """A running PostgreSQL: where it listens, its superuser URL and its log."""

    host: str
    port: int
    user: str
    data_dir: Path
    log_path: Path

    def url(self, database: str = "postgres") -> str:
        """``postgresql://<user>@<host>:<port>/<database>`` (trust authentication: no password)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


def find_bin() -> Path:
    """The directory of ``initdb`` and ``postgres``: ``MUSKOX_POSTGRES_BIN``, else the newest Debian version."""
    if os.environ.get(ENV_BIN):
        return Path(os.environ[ENV_BIN])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        pytest.fail(f"PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): {INSTALL_FIX}")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The user to run PostgreSQL as: None (this one) unless this is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.fail("running as root, and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


def _ready(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


@contextlib.contextmanager
def run_postgres() -> Iterator[PostgresServer]:
    """Initialise and start a server; stop it and remove its files on exit."""
    binaries = find_bin()
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="muskox-postgres-"))
    data, log_path = root / "data", root / "postgres.log"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    process: subprocess.Popen[bytes] | None = None
    try:
        init = subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                               "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                              capture_output=True, user=user, cwd=root, check=False)
        if init.returncode != 0:
            pytest.fail(f"initdb failed ({init.returncode}): {init.stderr.decode(errors='replace')[-2000:]}")
        port = _free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
                stdout=log, stderr=subprocess.STDOUT, user=user, cwd=root, start_new_session=True)
        server = PostgresServer("127.0.0.1", port, "postgres", data, log_path)
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ready(server.url()):
            if process.poll() is not None or time.monotonic() > deadline:
                text = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
                pytest.fail(f"PostgreSQL did not start on 127.0.0.1:{port} (exit {process.poll()}): {text}")
            time.sleep(0.1)
        yield server
    finally:
        if process is not None and process.poll() is None:
            process.terminate()  # smart shutdown would wait for clients: SIGTERM is fast shutdown's little brother
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL for the test session (see the module)."""
    with run_postgres() as server:
        yield server
