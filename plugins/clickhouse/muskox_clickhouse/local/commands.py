"""``muskox local start|stop|status``: the embedded ClickHouse (needs ``muskox-clickhouse[local]``).

The commands only talk to :class:`muskox_clickhouse.local.LocalClickHouse`; chdb is imported by the server
process alone, never by the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox_clickhouse.local.layout import DEFAULT_HTTP_PORT, DEFAULT_TCP_PORT, default_data_dir

if TYPE_CHECKING:
    from muskox_clickhouse.local import RunningServer

F = TypeVar("F", bound=Callable[..., Any])

_PORT = click.IntRange(1, 65535)


def _data_dir_option(func: F) -> F:
    return click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="The server's data directory.  [default: <project>/.muskox/clickhouse]",
    )(func)


def _json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")(func)


def _data_dir(app: AppContext, data_dir: Path | None) -> Path:
    return data_dir if data_dir is not None else default_data_dir(app.project_dir)


def _describe(server: RunningServer) -> None:
    click.echo(f"  http:   {server.http_url}")
    click.echo(f"  native: {server.native_url}")
    click.echo(f"  data:   {server.data_dir}")
    click.echo(f"  log:    {server.log_path}")


@click.group("local")
def local_group() -> None:
    """Run a real ClickHouse 26.9 on loopback, from the chdb-core wheel (needs muskox-clickhouse[local]).

    The server listens on 127.0.0.1 over HTTP and the native protocol, as user "default" without password.
    MergeTree data survives restarts; KeeperMap data is kept in memory and does not.
    """


@local_group.command("start")
@_data_dir_option
@click.option("--http-port", type=_PORT, default=None, help=f"HTTP port.  [default: {DEFAULT_HTTP_PORT}]")
@click.option("--tcp-port", type=_PORT, default=None, help=f"Native-protocol port.  [default: {DEFAULT_TCP_PORT}]")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds to wait for the server to answer.")
@_json_option
@pass_app
def start_command(app: AppContext, data_dir: Path | None, http_port: int | None, tcp_port: int | None,
                  timeout: float, as_json: bool) -> None:
    """Start the server (or report the one already running) and print its URLs."""
    from muskox_clickhouse.local import LocalClickHouse

    local = LocalClickHouse(
        _data_dir(app, data_dir),
        DEFAULT_HTTP_PORT if http_port is None else http_port,
        DEFAULT_TCP_PORT if tcp_port is None else tcp_port,
        startup_timeout=timeout,
    )
    server = local.start()
    if server.already_running:
        for asked, actual, flag in ((http_port, server.http_port, "--http-port"),
                                    (tcp_port, server.tcp_port, "--tcp-port")):
            if asked is not None and asked != actual:
                output.warning(f"ignoring {flag} {asked}: the running server uses {actual}; "
                               "run `muskox local stop` first to change ports")
    if as_json:
        output.emit_json({"status": "already_running" if server.already_running else "started",
                          **server.to_json()})
        return
    version = f"ClickHouse {server.version}" if server.version else "ClickHouse"
    if server.already_running:
        click.echo(f"{version} is already running (pid {server.pid})")
    else:
        click.echo(f"started {version} (pid {server.pid})")
    _describe(server)


@local_group.command("stop")
@_data_dir_option
@_json_option
@pass_app
def stop_command(app: AppContext, data_dir: Path | None, as_json: bool) -> None:
    """Stop the server and wait until its ports are free (does nothing when it is not running)."""
    from muskox_clickhouse.local import LocalClickHouse

    local = LocalClickHouse(_data_dir(app, data_dir))
    stopped = local.stop()
    if as_json:
        output.emit_json({"stopped": stopped is not None, "data_dir": str(local.data_dir),
                          "server": stopped.to_json() if stopped else None})
        return
    if stopped is None:
        click.echo(f"the local ClickHouse is not running (data dir {local.data_dir})")
    else:
        click.echo(f"stopped the local ClickHouse (pid {stopped.pid}); "
                   f"ports {stopped.http_port} and {stopped.tcp_port} are free")


@local_group.command("status")
@_data_dir_option
@_json_option
@pass_app
def status_command(app: AppContext, data_dir: Path | None, as_json: bool) -> None:
    """Report whether the server runs, with its pid, ports, URLs and data directory."""
    from muskox_clickhouse.local import LocalClickHouse

    status = LocalClickHouse(_data_dir(app, data_dir)).status()
    if as_json:
        output.emit_json(status.to_json())
        return
    server = status.server
    if server is None:
        note = f"; the recorded server (pid {status.stale_pid}) is no longer running" if status.stale_pid else ""
        click.echo(f"stopped (data dir {status.data_dir}){note}")
        return
    version = f"ClickHouse {server.version}, " if server.version else ""
    health = "" if status.responding else "; NOT answering /ping"
    click.echo(f"running ({version}pid {server.pid}{health})")
    _describe(server)
