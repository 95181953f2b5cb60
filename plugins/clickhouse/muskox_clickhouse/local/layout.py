"""Where the embedded ClickHouse keeps its files inside its data directory.

Both the launcher (in the CLI process) and the server process (``python -m muskox_clickhouse.local.server``) use
this one description, so neither has to guess the other's file names.
"""

from __future__ import annotations

from pathlib import Path

import attrs

#: The only address the embedded server listens on.
LOOPBACK = "127.0.0.1"
#: Default HTTP port; matches ``[clickhouse_config] host_port``.
DEFAULT_HTTP_PORT = 18123
#: Default native-protocol port; matches ``[clickhouse_config] native_port``.
DEFAULT_TCP_PORT = 19000


def default_data_dir(project_dir: Path) -> Path:
    """The data directory used when none is given: ``<project>/.muskox/clickhouse``."""
    return project_dir / ".muskox" / "clickhouse"


@attrs.frozen
class Layout:
    """The files of one local server, all inside ``data_dir`` (also the server's working directory)."""

    data_dir: Path

    @property
    def config_xml(self) -> Path:
        """The server configuration (listen address, ports, users file, test keeper)."""
        return self.data_dir / "config.xml"

    @property
    def users_xml(self) -> Path:
        """The users file: ``default`` with an empty password, loopback only."""
        return self.data_dir / "users.xml"

    @property
    def stop_fifo(self) -> Path:
        """The FIFO the server blocks on; writing a line to it stops the server cleanly."""
        return self.data_dir / "stop.fifo"

    @property
    def state_file(self) -> Path:
        """JSON written by the launcher once the server is ready: pid, ports, version."""
        return self.data_dir / "server.json"

    @property
    def log_file(self) -> Path:
        """The server process's stdout and stderr (rewritten on each start)."""
        return self.data_dir / "server.log"

    @property
    def lock_file(self) -> Path:
        """Held by the launcher while it starts or stops the server, so two launchers never race."""
        return self.data_dir / "launcher.lock"

    @property
    def db_path(self) -> Path:
        """ClickHouse's own data path (databases, tables, metadata)."""
        return self.data_dir / "db"
