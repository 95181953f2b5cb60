"""The core's built-in commands, registered as a plugin like any other."""

from __future__ import annotations

from collections.abc import Callable

import click

from muskox.plugin.hookspecs import hookimpl


@hookimpl
def muskox_register_commands(register: Callable[[str, click.Command], None]) -> None:
    """Register ``plugins``, ``config``, ``plan``, ``generate``, ``migrate``, ``lock``, ``prod``, ``ls``, ``init``
    ``db``, ``dev`` and ``logs``."""
    from muskox.cli.config_cmd import config_group
    from muskox.cli.db_pull_cmd import db_group
    from muskox.cli.dev_cmd import dev_command
    from muskox.cli.generate_cmd import generate_group
    from muskox.cli.init_cmd import init_command
    from muskox.cli.lock_cmd import lock_group
    from muskox.cli.logs_cmd import logs_command
    from muskox.cli.ls_cmd import ls_command
    from muskox.cli.migrate_cmd import migrate_command
    from muskox.cli.plan_cmd import plan_command
    from muskox.cli.plugins_cmd import plugins_command
    from muskox.cli.prod_cmd import prod_command

    register("plugins", plugins_command)
    register("config", config_group)
    register("plan", plan_command)
    register("generate", generate_group)
    register("migrate", migrate_command)
    register("lock", lock_group)
    register("prod", prod_command)
    register("ls", ls_command)
    register("init", init_command)
    register("db", db_group)
    register("dev", dev_command)
    register("logs", logs_command)
