"""``muskox plugins``: what is loaded, from which distribution, and what each plugin registers."""

from __future__ import annotations

import attrs
import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_app
def plugins_command(app: AppContext, as_json: bool) -> None:
    """List loaded plugins with their distribution, version and registrations."""
    infos = app.plugins.describe()
    if as_json:
        output.emit_json({"plugins": [attrs.asdict(info) for info in infos],
                          "warnings": list(app.plugins.warnings)})
        return
    for info in infos:
        origin = "built-in" if info.builtin else f"{info.distribution} {info.version}"
        click.echo(f"{click.style(info.name, bold=True)}  ({origin}; {info.module})")
        for kind, names in info.registers.items():
            click.echo(f"    {kind.replace('_', ' ')}: {', '.join(names)}")
