"""``[postgres_state_config]``: the section this plugin adds to ``muskox.toml``."""

from __future__ import annotations

import attrs

from muskox.config import setting

SECTION = "postgres_state_config"


@attrs.frozen(kw_only=True)
class PostgresStateConfig:
    """``[postgres_state_config]``: the PostgreSQL database of the ``postgres`` state store."""

    url: str = setting("postgresql://127.0.0.1:5432/postgres", "PostgreSQL URL (postgresql://user:pass@host:port/db)",
                       secret=True)
    namespace: str = setting("muskox", "the rows of this project or tenant; two namespaces share nothing")
    connect_timeout: int = setting(5, "seconds to wait for a connection")
