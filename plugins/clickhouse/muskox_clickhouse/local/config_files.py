"""The ``config.xml`` and ``users.xml`` the embedded ClickHouse reads from its working directory."""

from __future__ import annotations

from xml.sax.saxutils import escape

from muskox_clickhouse.local.layout import LOOPBACK

DISPLAY_NAME = "muskox-local"
"""The embedded server's ``displayName()``: how a client recognizes it (its Keeper is in memory, so KeeperMap
rows vanish at a restart; the ``clickhouse`` state store repairs its table there, see muskox_state_keeper)."""


def render_config_xml(http_port: int, tcp_port: int, *, host: str = LOOPBACK) -> str:
    """The server configuration: loopback listeners, the users file, and an in-process keeper for KeeperMap.

    The test keeper keeps KeeperMap data in memory only (see :mod:`muskox_clickhouse.local`).
    """
    return f"""<?xml version="1.0"?>
<!-- Written by muskox (muskox local start); rewritten on every start. -->
<clickhouse>
    <display_name>{DISPLAY_NAME}</display_name>
    <listen_host>{escape(host)}</listen_host>
    <http_port>{int(http_port)}</http_port>
    <tcp_port>{int(tcp_port)}</tcp_port>
    <users_config>users.xml</users_config>
    <zookeeper>
        <implementation>testkeeper</implementation>
    </zookeeper>
    <keeper_map_path_prefix>/keeper_map_tables</keeper_map_path_prefix>
</clickhouse>
"""


def render_users_xml() -> str:
    """The users file: ``default`` without password, reachable from loopback only, allowed to manage access.

    The profile sets LZ4 on the wire: ClickHouse 26.x defaults to ZSTD, which several native clients cannot read.
    """
    return """<?xml version="1.0"?>
<!-- Written by muskox (muskox local start); rewritten on every start. -->
<clickhouse>
    <profiles>
        <default>
            <network_compression_method>LZ4</network_compression_method>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
            <access_management>1</access_management>
        </default>
    </users>
    <quotas>
        <default></default>
    </quotas>
</clickhouse>
"""
