"""``muskox logs``: read the command log of the project (``.muskox/logs/``), follow it, filter it."""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

import click

from muskox.cli.context import AppContext, pass_app
from muskox.cli.options import connection_options
from muskox.exit_codes import ExitCode


@click.command("logs")
@click.option("-f", "--tail", "--follow", "follow", is_flag=True,
              help="Keep running and print new records as commands write them (Ctrl-C stops).")
@click.option("--filter", "text", metavar="TEXT", help="Only records containing TEXT (case-insensitive).")
@click.option("--json", "as_json", is_flag=True, help="Print the records as they are stored: one JSON object a line.")
@click.option("--since", metavar="DURATION", help="Only records newer than DURATION: 30s, 15m, 2h, 1d, 1h30m.")
@click.option("--history", is_flag=True,
              help="Read the migration history from the configured state store instead: who ran which migrate or "
                   "prod, when, how long each operation took and how it ended (also for runs on other machines).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=20, show_default=True,
              help="--history: the newest LIMIT runs.")
@connection_options
@pass_app
def logs_command(app: AppContext, follow: bool, text: str | None, as_json: bool, since: str | None, history: bool,
                 limit: int, clickhouse_url: str | None, redis_url: str | None) -> int:
    """Show what muskox commands did on the servers: each statement with its duration and outcome, errors
    with the server's code (the records of <project>/.muskox/logs/, kept 7 days); with --history, the migration
    history kept in the state store."""
    if history:
        if follow:
            raise click.UsageError("--history reads the state store once: it cannot follow (-f)")
        return show_history(app, text=text, as_json=as_json, since=since, limit=limit,
                            clickhouse_url=clickhouse_url, redis_url=redis_url)
    from muskox.logs.files import LogDirectory, log_dir
    from muskox.logs.reading import LogReader, RecordFilter, parse_duration
    from muskox.logs.reading import follow as follow_records
    from muskox.logs.render import render_line

    cutoff = None
    if since is not None:
        cutoff = datetime.datetime.now(datetime.UTC) - parse_duration(since)
    directory = LogDirectory(log_dir(app.project_dir))
    reader = LogReader(directory, RecordFilter(since=cutoff, text=text))

    def show(record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) if as_json else render_line(record)
        click.echo(line)
        sys.stdout.flush()  # a follower reads each line as it comes

    for record in reader.new_records():
        show(record)
    if follow:
        try:
            follow_records(reader, show)
        except KeyboardInterrupt:
            return ExitCode.OK
    return ExitCode.OK


def show_history(app: AppContext, *, text: str | None, as_json: bool, since: str | None, limit: int,
                 clickhouse_url: str | None, redis_url: str | None) -> int:
    """Print the newest ``limit`` history entries of the state store (filtered by ``text`` and ``since``)."""
    from muskox.apply.history import decode_entries
    from muskox.cli.options import connection_overrides
    from muskox.logs.history import render_entry
    from muskox.logs.reading import RecordFilter, parse_duration
    from muskox.plugin.backends import olap_dialect
    from muskox.state import open_state_store

    config = app.config(connection_overrides(clickhouse_url, redis_url, None))
    cutoff = None
    if since is not None:
        moment = datetime.datetime.now(datetime.UTC) - parse_duration(since)
        cutoff = moment.strftime("%Y-%m-%dT%H:%M:%S")
    with open_state_store(config, app.plugins, project_dir=app.project_dir, dialect=olap_dialect(app.plugins)) \
            as store:
        try:
            raw = store.history(limit)
        except NotImplementedError as exc:
            click.echo(f"muskox: {exc} ([state_config] storage = {config.state_config.storage!r})", err=True)
            return ExitCode.OK
    matches = RecordFilter(text=text)  # the values, not the keys or the time: --since is for time
    for entry in decode_entries(raw):
        if cutoff is not None and str(entry.get("time", "")) < cutoff:
            continue
        if not matches.accepts(entry):
            continue
        if as_json:
            click.echo(json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        else:
            click.echo("\n".join(render_entry(entry)))
    return ExitCode.OK
