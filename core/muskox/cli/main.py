"""The ``muskox`` entry point: global options, plugin-provided commands and error handling.

Known failures (:class:`muskox.errors.MuskoxError`) print one line and exit with their documented code;
anything else prints a (credential-masked) traceback and exits with :attr:`ExitCode.FAILURE`.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

import click

from muskox._version import __version__
from muskox.cli import output
from muskox.cli.context import AppContext
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.masking import mask_text
from muskox.plugin.manager import Plugins

ENV_PROJECT = "MUSKOX_PROJECT"
ENV_TENANT = "MUSKOX_TENANT"


class _MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def _configure_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MaskingFormatter("muskox: %(levelname)s: %(message)s"))
    root = logging.getLogger("muskox")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class MuskoxGroup(click.Group):
    """The top-level group; its sub-commands come from plugins (the built-in ones included)."""

    _plugins: Plugins | None = None

    def plugins(self) -> Plugins:
        if self._plugins is None:
            self._plugins = Plugins.load()
            for line in self._plugins.warnings:
                output.warning(line)
        return self._plugins

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.plugins().commands())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.plugins().commands().get(cmd_name)


@click.group(cls=MuskoxGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="muskox", message="%(prog)s %(version)s")
@click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path), envvar=ENV_PROJECT,
              default=".", show_default=True, help="Project directory (holds muskox.toml and migrations/).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file to read instead of muskox.toml / moose.config.toml.")
@click.option("--tenant", envvar=ENV_TENANT, help="Apply the overrides of [tenants.NAME] from the config file.")
@click.option("-v", "--verbose", count=True, help="More output (repeat for debug logs).")
@click.option("-q", "--quiet", count=True, help="Less output: only results and errors.")
@click.pass_context
def cli(ctx: click.Context, project: Path, config_file: Path | None, tenant: str | None,
        verbose: int, quiet: int) -> None:
    """muskox: schema migrations for ClickHouse and Kafka/Redpanda.

    Declare tables, views and topics in Python; muskox plans the change, checks for drift, and applies it
    under a lock. Exit codes are listed in the README.
    """
    verbosity = verbose - quiet
    _configure_logging(verbosity)
    group = ctx.command
    assert isinstance(group, MuskoxGroup)
    ctx.obj = AppContext(project.resolve(), config_file, tenant or None, verbosity, group.plugins())


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with a documented :class:`ExitCode`."""
    sys.exit(int(run(argv)))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises, never exits)."""
    assert isinstance(cli, MuskoxGroup)
    cli._plugins = None  # each run discovers plugins afresh (tests call run() repeatedly)
    try:
        result = cli.main(args=argv, prog_name="muskox", standalone_mode=False)
    except MuskoxError as exc:
        output.error(exc.one_line())
        return int(exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        output.error("interrupted")
        return ExitCode.INTERRUPTED
    except Exception:
        click.echo(mask_text(traceback.format_exc()), err=True)
        output.error("unexpected failure (a bug in muskox or a plugin); the traceback above says where. "
                     "Please report it")
        return ExitCode.FAILURE
    return int(result) if isinstance(result, int) else ExitCode.OK


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
