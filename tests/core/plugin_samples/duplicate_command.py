"""A sample plugin registering a command name that good_commands already registered."""

import click

from muskox import hookimpl


@hookimpl
def muskox_register_commands(register):
    register("sample-hello", click.Command("sample-hello"))
