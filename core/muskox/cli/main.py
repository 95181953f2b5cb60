"""The ``muskox`` entry point: global options, plugin-provided commands and error handling.

Known failures (:class:`muskox.errors.MuskoxError`) print one line and exit with their documented code;
anything else prints a (credential-masked) traceback and exits with :attr:`ExitCode.FAILURE`.
"""

from __future__ import annotations

import gc
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
_COMMAND_PATH = "muskox.command_path"


class _MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def _configure_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    from muskox.logs.handler import has_event

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MaskingFormatter("muskox: %(levelname)s: %(message)s"))
    handler.setLevel(level)
    handler.addFilter(lambda record: not has_event(record))  # command-log records go to .muskox/logs only
    root = logging.getLogger("muskox")
    root.handlers[:] = [handler]
    root.setLevel(min(level, logging.INFO))  # the command log (muskox.logs) records INFO events
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

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        words = [name or ""]
        if isinstance(command, click.Group) and rest and rest[0] in command.commands:
            words.append(rest[0])  # the command log names `generate migration`, not `generate`
        ctx.meta[_COMMAND_PATH] = " ".join(words)
        return name, command, rest


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
    from muskox.logs.handler import install

    install(ctx.obj.project_dir, command=ctx.meta.get(_COMMAND_PATH, ctx.invoked_subcommand or ""),
            tenant=ctx.obj.tenant)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with a documented :class:`ExitCode`."""
    code = int(run(argv))
    # The command is over (its files closed, its log written): the interpreter's last garbage collections need not
    # traverse the hundreds of thousands of objects still cached (a tenth of a second on 2,000 tables).
    gc.freeze()
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises, never exits); the command log records how it ended."""
    from muskox.logs.handler import finish

    failure: list[BaseException] = []
    code = _run(argv, failure)
    finish(code, mask_text(failure[0].one_line() if isinstance(failure[0], MuskoxError) else repr(failure[0]))
           if failure else None)
    return code


def _run(argv: list[str] | None, failure: list[BaseException]) -> int:
    assert isinstance(cli, MuskoxGroup)
    cli._plugins = None  # each run discovers plugins afresh (tests call run() repeatedly)
    try:
        result = cli.main(args=argv, prog_name="muskox", standalone_mode=False)
    except MuskoxError as exc:
        failure.append(exc)
        output.error(_refined(exc).one_line())
        return int(exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        setattr(exc, "message", mask_text(exc.message))  # noqa: B010 (a final attribute for type checkers)
        exc.show()
        return ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        output.error("interrupted")
        return ExitCode.INTERRUPTED
    except Exception as exc:
        failure.append(exc)
        click.echo(mask_text(traceback.format_exc()), err=True)
        output.error("unexpected failure (a bug in muskox or a plugin); the traceback above says where. "
                     "Please report it")
        return ExitCode.FAILURE
    return int(result) if isinstance(result, int) else ExitCode.OK


def _refined(exc: MuskoxError) -> MuskoxError:
    """``exc``, with the fix of a lock held by a dead process of this machine made exact (``lock release``
    suffices there, ``--force`` is not needed)."""
    from muskox.state.errors import LockHeld

    if isinstance(exc, LockHeld):
        from muskox.cli.lock_cmd import dead_holder_fix

        fix = dead_holder_fix(exc.holder)
        if fix is not None:
            exc.fix = fix
    return exc


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
