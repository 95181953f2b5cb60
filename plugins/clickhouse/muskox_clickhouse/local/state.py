"""What the launcher knows about a running local server, and the JSON state file that records it."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import attrs

from muskox_clickhouse.local.layout import Layout

STATE_FORMAT = 1


@attrs.frozen(kw_only=True)
class RunningServer:
    """A running embedded ClickHouse: where it listens, its process and its files."""

    host: str
    """The loopback address it listens on (``127.0.0.1``)."""
    http_port: int
    tcp_port: int
    """The native-protocol port."""
    pid: int
    """The server process (also its process group: it runs in its own session)."""
    data_dir: Path
    log_path: Path
    version: str | None = None
    """ClickHouse's ``version()``, e.g. ``26.9.2.1``."""
    started_at: str | None = None
    """When it became ready, ISO 8601 in UTC."""
    already_running: bool = attrs.field(default=False, eq=False)
    """True when :meth:`LocalClickHouse.start` found this server already running and started nothing."""

    @property
    def http_url(self) -> str:
        """The HTTP interface, e.g. ``http://127.0.0.1:18123`` (user ``default``, no password)."""
        return f"http://{self.host}:{self.http_port}"

    @property
    def native_url(self) -> str:
        """The native interface, e.g. ``clickhouse://127.0.0.1:19000``."""
        return f"clickhouse://{self.host}:{self.tcp_port}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description, URLs included (what ``--json`` prints)."""
        return {
            "host": self.host,
            "http_port": self.http_port,
            "tcp_port": self.tcp_port,
            "http_url": self.http_url,
            "native_url": self.native_url,
            "pid": self.pid,
            "data_dir": str(self.data_dir),
            "log_path": str(self.log_path),
            "version": self.version,
            "started_at": self.started_at,
        }


@attrs.frozen(kw_only=True)
class ServerStatus:
    """The answer of :meth:`LocalClickHouse.status`."""

    data_dir: Path
    server: RunningServer | None
    """The running server, or None when stopped."""
    responding: bool = False
    """Whether the running server answered ``GET /ping`` just now."""
    stale_pid: int | None = None
    """A pid recorded in the state file whose process is gone (the server died or the machine restarted)."""

    @property
    def running(self) -> bool:
        """True when the recorded server process is alive."""
        return self.server is not None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description (what ``muskox local status --json`` prints)."""
        return {
            "running": self.running,
            "responding": self.responding,
            "data_dir": str(self.data_dir),
            "stale_pid": self.stale_pid,
            "server": self.server.to_json() if self.server else None,
        }


def read_state(layout: Layout) -> RunningServer | None:
    """The server recorded in the state file, or None when there is no (readable) state file."""
    try:
        raw = json.loads(layout.state_file.read_text(encoding="utf-8"))
        return RunningServer(
            host=str(raw["host"]),
            http_port=int(raw["http_port"]),
            tcp_port=int(raw["tcp_port"]),
            pid=int(raw["pid"]),
            data_dir=Path(raw["data_dir"]),
            log_path=Path(raw["log_path"]),
            version=raw.get("version"),
            started_at=raw.get("started_at"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(layout: Layout, server: RunningServer) -> None:
    """Record ``server`` atomically (write a temporary file, then rename it over the state file)."""
    body = {"format": STATE_FORMAT, **server.to_json()}
    tmp = layout.state_file.with_name(layout.state_file.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(layout.state_file)


def remove_state(layout: Layout) -> None:
    """Forget the recorded server."""
    with contextlib.suppress(FileNotFoundError):
        layout.state_file.unlink()
