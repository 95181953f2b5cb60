"""The embedded ClickHouse server process.

Run as ``python -m muskox_clickhouse.local.server --data-dir D --http-port P --tcp-port P``.

This is the only module that imports chdb (and with it pandas and pyarrow); the launcher runs it as a detached
child process. It writes ``config.xml`` and ``users.xml`` into the data directory, changes into it (ClickHouse's
``LocalServer`` reads ``./config.xml``), starts the TCP and HTTP listeners and then blocks on a query reading the
stop FIFO. Writing a line to the FIFO ends that query and the process exits cleanly; SIGTERM works too.

The legacy entry point ``chdb._chdb.query(sql, "TabSeparated", path=...)`` runs ClickHouse's full
``LocalServer``; its format argument becomes the HTTP interface's default format, and clickhouse-connect's
handshake needs ``TabSeparated``. It can run only once per process.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from muskox_clickhouse.local.config_files import render_config_xml, render_users_xml
from muskox_clickhouse.local.layout import Layout


def _sql_string(value: str) -> str:
    """``value`` as a single-quoted ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def serve_sql(stop_fifo: Path) -> str:
    """The statements that start the listeners and then block until a line is written to ``stop_fifo``.

    The final ``SELECT`` prints the number of lines read, so a clean stop yields output and a failure
    (printed to stderr by ClickHouse, which never raises here) yields none.
    """
    return (
        "SYSTEM START LISTEN TCP; SYSTEM START LISTEN HTTP; "
        f"SELECT count() FROM file({_sql_string(str(stop_fifo))}, 'LineAsString') "
        "SETTINGS storage_file_read_method='read'"
    )


def prepare(layout: Layout, http_port: int, tcp_port: int) -> None:
    """Create the data directory, the two XML files and a fresh stop FIFO."""
    layout.data_dir.mkdir(parents=True, exist_ok=True)
    layout.db_path.mkdir(exist_ok=True)
    layout.config_xml.write_text(render_config_xml(http_port, tcp_port), encoding="utf-8")
    layout.users_xml.write_text(render_users_xml(), encoding="utf-8")
    layout.stop_fifo.unlink(missing_ok=True)
    os.mkfifo(layout.stop_fifo, 0o600)


def serve(layout: Layout, http_port: int, tcp_port: int) -> int:
    """Run ClickHouse until the stop FIFO receives a line; returns the process exit code."""
    prepare(layout, http_port, tcp_port)
    os.chdir(layout.data_dir)
    print(f"muskox_clickhouse.local.server: starting ClickHouse on 127.0.0.1 (http {http_port}, native {tcp_port}) "
          f"in {layout.data_dir}", flush=True)
    chdb = importlib.import_module("chdb._chdb")  # the one place chdb is imported (its stubs omit query)
    result = chdb.query(serve_sql(layout.stop_fifo), "TabSeparated", path=str(layout.db_path))
    layout.stop_fifo.unlink(missing_ok=True)
    if not bytes(result.bytes()).strip():
        print("muskox_clickhouse.local.server: ClickHouse stopped with an error (see above)", flush=True)
        return 1
    print("muskox_clickhouse.local.server: stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve; the launcher is the only intended caller."""
    parser = argparse.ArgumentParser(prog="python -m muskox_clickhouse.local.server",
                                     description="The embedded ClickHouse server process of muskox.")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--tcp-port", type=int, required=True)
    args = parser.parse_args(argv)
    return serve(Layout(args.data_dir.resolve()), args.http_port, args.tcp_port)


if __name__ == "__main__":
    sys.exit(main())
