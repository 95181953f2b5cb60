"""The embedded ClickHouse as ``muskox dev``'s local server (:class:`muskox.plugin.interfaces.LocalServer`).

``dev`` uses it when ``[clickhouse_config]`` names no server of its own: no ``url`` (nor ``--clickhouse-url``)
and a loopback ``host``. It runs in ``<project>/.muskox/clickhouse`` (the data directory of ``muskox local``) on
``host_port`` and ``native_port``, so the backend built from the same config reaches it; a server already running
there is reused and left running.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from muskox.errors import LocalServerError
from muskox.plugin.interfaces import LocalServer
from muskox_clickhouse.local.layout import default_data_dir

if TYPE_CHECKING:
    from muskox.config import Config
    from muskox_clickhouse.local.state import RunningServer

#: Host names that mean "this machine" in ``[clickhouse_config] host``.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def wants_local_server(config: Config) -> bool:
    """True when ``config`` names no ClickHouse of its own: no URL, no TLS, a loopback host."""
    section = config.clickhouse_config
    return section.url is None and not section.use_ssl and section.host.lower() in LOOPBACK_HOSTS


class EmbeddedClickHouse(LocalServer):
    """``muskox local``'s server for ``dev``: started on the configured ports, or reused when running."""

    def __init__(self, data_dir: Path, http_port: int, tcp_port: int) -> None:
        self.data_dir = data_dir
        self.http_port = http_port
        self.tcp_port = tcp_port
        self.server: RunningServer | None = None

    @classmethod
    def for_config(cls, config: Config, project_dir: Path) -> EmbeddedClickHouse:
        """The server for ``config``'s ports, in ``<project>/.muskox/clickhouse``."""
        section = config.clickhouse_config
        return cls(default_data_dir(project_dir), section.host_port, section.native_port)

    def start(self) -> bool:
        """Start the server (or find it running); True when this call started it."""
        from muskox_clickhouse.local.launcher import LocalClickHouse

        server = LocalClickHouse(self.data_dir, self.http_port, self.tcp_port).start()
        self.server = server
        if server.already_running and (server.http_port, server.tcp_port) != (self.http_port, self.tcp_port):
            raise LocalServerError(
                f"the local ClickHouse in {self.data_dir} runs on ports {server.http_port} (HTTP) and "
                f"{server.tcp_port} (native), but [clickhouse_config] names {self.http_port} and {self.tcp_port}",
                "stop it with `muskox local stop`, or set host_port and native_port to its ports",
            )
        return not server.already_running

    def stop(self) -> None:
        """Stop the server."""
        from muskox_clickhouse.local.launcher import LocalClickHouse

        LocalClickHouse(self.data_dir, self.http_port, self.tcp_port).stop()

    def describe(self) -> str:
        """``http://127.0.0.1:18123 (data .../.muskox/clickhouse)``."""
        url = self.server.http_url if self.server else f"http://127.0.0.1:{self.http_port}"
        return f"{url} (data {self.data_dir})"
