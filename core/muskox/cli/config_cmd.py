"""``muskox config show``: the effective configuration, secrets masked, with where each value came from."""

from __future__ import annotations

from typing import Any

import attrs
import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.config import Config
from muskox.config.model import SECTIONS
from muskox.masking import MASK, mask_url


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


def _shown(value: Any, secret: bool) -> Any:
    if value is None or value == "" or not secret:
        return value
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    return MASK


def effective(config: Config) -> dict[str, dict[str, dict[str, Any]]]:
    """``{section: {key: {"value": …, "origin": …}}}`` with secrets masked."""
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for section in [*SECTIONS, *config.plugin_sections]:
        body = config.section(section)
        entries = {}
        for field in attrs.fields(type(body)):
            value = getattr(body, field.name)
            if isinstance(value, list):
                value = [attrs.asdict(v) if attrs.has(type(v)) else v for v in value]
            entries[field.name] = {
                "value": _shown(value, bool(field.metadata.get("secret"))),
                "origin": config.origins.get(f"{section}.{field.name}", "default"),
            }
        result[section] = entries
    return result


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_app
def show_command(app: AppContext, as_json: bool) -> None:
    """Print the effective configuration (defaults < file < tenant < env < flags), secrets masked."""
    config = app.config()
    table = effective(config)
    if as_json:
        output.emit_json({"file": config.source, "tenant": config.tenant, "config": table})
        return
    header = f"# file: {config.source or '(none: defaults)'}"
    click.echo(header + (f"; tenant: {config.tenant}" if config.tenant else ""))
    for section, entries in table.items():
        click.echo(f"\n[{section}]")
        for key, entry in entries.items():
            origin = entry["origin"]
            note = "" if origin == "default" else f"  # from {origin}"
            if entry["value"] is None:
                click.echo(f"# {key} = (unset){note}")
            else:
                click.echo(f"{key} = {_toml_value(entry['value'])}{note}")
