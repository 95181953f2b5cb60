"""``muskox ls``: the objects muskox manages, as they are now, one table per type (read-only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.cli.options import connection_options, connection_overrides, kafka_option
from muskox.exit_codes import ExitCode

#: The ``--type`` values, in listing order (:data:`muskox.plan.inventory.TYPES`; repeated here so that ``--help``
#: loads nothing).
TYPE_CHOICES = ("tables", "views", "materialized_views", "streams", "dictionaries", "apis", "workflows")

_TITLES = {"tables": "Tables", "views": "Views", "materialized_views": "Materialized views", "streams": "Streams",
           "dictionaries": "Dictionaries", "apis": "APIs", "workflows": "Workflows"}


@click.command("ls")
@connection_options
@kafka_option
@click.option("--type", "types", type=click.Choice(TYPE_CHOICES), multiple=True,
              help="List only this type (repeat for several).")
@click.option("--name", "name", metavar="SUBSTR", help="Only objects whose name contains SUBSTR (any case).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout (with schema_version).")
@pass_app
def ls_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, kafka_url: str | None,
               types: Sequence[str], name: str | None, as_json: bool) -> int:
    """List the tables, views, materialized views, streams, dictionaries and recorded objects muskox manages, as
    they are now: the code reconciled with the database and the state store. Nothing is written anywhere."""
    from muskox.gc_pause import collector_off_until_exit
    from muskox.plugin.backends import open_backends

    collector_off_until_exit()  # a one-shot read: the process ends with the listing
    config = app.config(connection_overrides(clickhouse_url, redis_url, kafka_url))
    with open_backends(app.plugins, config) as backend:
        backend.prefetch()  # before the planning modules are loaded: the schema is read sooner
        nodes = backend.olap.node_states() if as_json else None  # first: lists nodes that differ, not refuses
        from muskox.plan.workspace import gather

        inputs = gather(app.plugins, config, app.project_dir, backend)
    from muskox.plan.inventory import SCHEMA_VERSION, build_inventory  # after: the schema reading starts sooner

    found = build_inventory(inputs.current, inputs.target, inputs.dialect,
                            ignore_operations=config.migration_config.ignore_operations,
                            types=types or TYPE_CHOICES, name=name, normalized=inputs.normalized)
    if as_json:
        document = {"schema_version": SCHEMA_VERSION, "default_database": inputs.database, **found}
        if nodes is not None:  # a backend spread over several servers: each one's state
            document["nodes"] = nodes
        output.emit_json(document)
    else:
        click.echo(render(found, explicit=bool(types)))
    return ExitCode.OK


def render(found: dict[str, list[dict[str, Any]]], *, explicit: bool) -> str:
    """The listing: a titled table per type (types without objects are left out unless ``explicit``)."""
    blocks = []
    for kind, entries in found.items():
        if not entries and not explicit:
            continue
        title = f"{_TITLES[kind]} ({len(entries)})"
        if not entries:
            blocks.append(f"{title}\n  (none)")
            continue
        header, rows = _ROWS[kind](entries)
        blocks.append(title + "\n" + _table([header, *rows]))
    return "\n\n".join(blocks) if blocks else "Nothing matches."


def _table(rows: list[list[str]]) -> str:
    """Rows as left-aligned columns (two spaces apart; the last column unpadded), indented by two."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  " + "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
                     .rstrip() for row in rows)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _keys(entry: dict[str, Any]) -> str:
    order_by = entry["order_by"]
    parts = [f"order by {order_by if isinstance(order_by, str) else ', '.join(order_by) or 'tuple()'}"]
    for key, label in (("primary_key", "primary key"), ("partition_by", "partition by"), ("sample_by", "sample by"),
                       ("ttl", "ttl")):
        if entry[key] is not None:
            parts.append(f"{label} {entry[key]}")
    return _one_line("; ".join(parts))


def _tables(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    return (["name", "engine", "keys", "lifecycle", "status", "columns"],
            [[e["name"], e["engine"], _keys(e), e["life_cycle"], e["status"],
              ", ".join(f"{c['name']}: {c['type']}" for c in e["columns"])] for e in entries])


def _views(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    return (["name", "lifecycle", "status", "select"],
            [[e["name"], e["life_cycle"], e["status"], _one_line(e["select"])] for e in entries])


def _materialized_views(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    return (["name", "target", "lifecycle", "status", "select"],
            [[e["name"], e["target"], e["life_cycle"], e["status"], _one_line(e["select"])] for e in entries])


def retention_text(milliseconds: int | None) -> str:
    """``604800000`` → ``7d``; the largest whole unit of days, hours, minutes, seconds (else milliseconds)."""
    if milliseconds is None:
        return "broker default"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if milliseconds and milliseconds % size == 0:
            return f"{milliseconds // size}{unit}"
    return f"{milliseconds}ms"


def _streams(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    return (["name", "partitions", "retention", "lifecycle", "status"],
            [[e["name"], str(e["partitions"]), retention_text(e["retention_ms"]), e["life_cycle"], e["status"]]
             for e in entries])


def _dictionaries(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    return (["name", "layout", "source", "lifetime", "lifecycle", "status"],
            [[e["name"], e["layout"] or "?", e["source"] or "?", e["lifetime"] or "?", e["life_cycle"], e["status"]]
             for e in entries])


def _recorded(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    return (["name", "kind", "status"], [[e["name"], e["kind"], f"{e['status']}: {e['note']}"] for e in entries])


_ROWS = {"tables": _tables, "views": _views, "materialized_views": _materialized_views, "streams": _streams,
         "dictionaries": _dictionaries, "apis": _recorded, "workflows": _recorded}
