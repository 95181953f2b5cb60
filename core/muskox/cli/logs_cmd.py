"""``muskox logs``: read the command log of the project (``.muskox/logs/``), follow it, filter it."""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

import click

from muskox.cli.context import AppContext, pass_app
from muskox.exit_codes import ExitCode


@click.command("logs")
@click.option("-f", "--tail", "--follow", "follow", is_flag=True,
              help="Keep running and print new records as commands write them (Ctrl-C stops).")
@click.option("--filter", "text", metavar="TEXT", help="Only records containing TEXT (case-insensitive).")
@click.option("--json", "as_json", is_flag=True, help="Print the records as they are stored: one JSON object a line.")
@click.option("--since", metavar="DURATION", help="Only records newer than DURATION: 30s, 15m, 2h, 1d, 1h30m.")
@pass_app
def logs_command(app: AppContext, follow: bool, text: str | None, as_json: bool, since: str | None) -> int:
    """Show what muskox commands did on the servers: each statement with its duration and outcome, errors
    with the server's code (the records of <project>/.muskox/logs/, kept 7 days)."""
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
