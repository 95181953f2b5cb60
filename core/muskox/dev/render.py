"""What ``muskox dev`` prints: the changes of a cycle, Moose-style, and one block per failure.

    + Table: events - id: String, ts: DateTime, kind: String
    ~ Table: visits
        ~ visits: UInt32 -> UInt64
        + country: String
        - referrer
    - View: recent_events

Types are written by the OLAP backend's dialect; a nullable column reads ``String (nullable)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Column, Table
from muskox.plan.changes import (
    Added,
    Change,
    ColumnAdded,
    ColumnChange,
    ColumnRemoved,
    ColumnRenamed,
    Recreated,
    Removed,
    Resource,
    TableAltered,
    TopicAltered,
)
from muskox.plugin.dialect import Dialect

INDENT = "    "


def column_type(column: Column, dialect: Dialect) -> str:
    """``UInt64``, ``String (nullable)``."""
    text = dialect.render_type(column.data_type)
    return f"{text} (nullable)" if column.nullable else text


def _kind(resource: Resource) -> str:
    if isinstance(resource, Table):
        return "Table"
    if isinstance(resource, MaterializedView):
        return "Materialized view"
    if isinstance(resource, View):
        return "View"
    return "Topic"


def _title(resource: Resource, default_database: str | None) -> str:
    name = resource.name
    database = getattr(resource, "database", None)
    if database and database != default_database:
        name = f"{database}.{name}"
    version = getattr(resource, "version", None)
    return f"{_kind(resource)}: {name}" + (f" (version {version})" if version else "")


def _summary(resource: Resource, dialect: Dialect) -> str:
    """The resource's content after its title: columns of tables, target of materialized views, partitions of
    topics."""
    if isinstance(resource, Table):
        return " - " + ", ".join(f"{c.name}: {column_type(c, dialect)}" for c in resource.columns)
    if isinstance(resource, MaterializedView):
        return f" -> {resource.target_table}"
    if isinstance(resource, Topic):
        return f" - {resource.partitions} partition{'s' if resource.partitions != 1 else ''}"
    return ""


def column_line(change: ColumnChange, dialect: Dialect) -> str:
    """``+ country: String``, ``- referrer``, ``~ visits: UInt32 -> UInt64``, ``~ old -> new (renamed)``."""
    if isinstance(change, ColumnAdded):
        return f"+ {change.column.name}: {column_type(change.column, dialect)}"
    if isinstance(change, ColumnRemoved):
        return f"- {change.column.name}"
    if isinstance(change, ColumnRenamed):
        return f"~ {change.before.name} -> {change.after.name} (renamed)"
    before, after = column_type(change.before, dialect), column_type(change.after, dialect)
    if before != after:
        return f"~ {change.after.name}: {before} -> {after}"
    return f"~ {change.after.name}: {after} (default, codec, TTL or comment changed)"


def _altered_lines(change: TableAltered, dialect: Dialect) -> list[str]:
    lines = [column_line(column, dialect) for column in change.columns]
    lines += [f"+ index {index.name}" for index in change.indexes_added]
    lines += [f"- index {index.name}" for index in change.indexes_dropped]
    lines += [f"+ projection {projection.name}" for projection in change.projections_added]
    lines += [f"- projection {projection.name}" for projection in change.projections_dropped]
    if change.settings_changed:
        lines.append(f"~ settings: {_settings(change.settings_before)} -> {_settings(change.settings_after)}")
    if change.ttl_changed:
        lines.append(f"~ TTL: {change.before.ttl or 'none'} -> {change.after.ttl or 'none'}")
    if change.sample_by_changed:
        lines.append(f"~ SAMPLE BY: {change.before.sample_by or 'none'} -> {change.after.sample_by or 'none'}")
    return lines


def _settings(settings: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())) + "}"


def _topic_lines(change: TopicAltered) -> list[str]:
    before, after = change.before, change.after
    lines = []
    if before.partitions != after.partitions:
        lines.append(f"~ partitions: {before.partitions} -> {after.partitions}")
    old, new = before.managed_configs(), after.managed_configs()
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            lines.append(f"- {key}")
        elif key not in old:
            lines.append(f"+ {key}: {new[key]}")
        elif old[key] != new[key]:
            lines.append(f"~ {key}: {old[key]} -> {new[key]}")
    return lines


def change_lines(change: Change, dialect: Dialect, default_database: str | None = None) -> list[str]:
    """The lines of one change: its title line, then (for alterations) one indented line per detail. Names are
    database-qualified outside ``default_database``."""
    if isinstance(change, Added):
        return [f"+ {_title(change.after, default_database)}{_summary(change.after, dialect)}"]
    if isinstance(change, Removed):
        return [f"- {_title(change.before, default_database)}"]
    title = _title(change.after, default_database)
    if isinstance(change, Recreated):
        return [f"~ {title} recreated ({change.reason}){_summary(change.after, dialect)}"]
    if isinstance(change, TableAltered):
        return [f"~ {title}", *(INDENT + line for line in _altered_lines(change, dialect))]
    return [f"~ {title}", *(INDENT + line for line in _topic_lines(change))]


def changes_text(changes: Iterable[Change], dialect: Dialect, default_database: str | None = None) -> list[str]:
    """Every change's lines, in plan order."""
    return [line for change in changes for line in change_lines(change, dialect, default_database)]


def error_block(heading: str, message: str, footer: str) -> str:
    """``✗ heading`` with the message indented under it, then ``footer``."""
    body = "\n".join(INDENT + line for line in message.splitlines() or [""])
    return f"✗ {heading}\n{body}\n{INDENT}{footer}"


def paths_text(paths: Sequence[str], limit: int = 3) -> str:
    """``app/main.py, app/models.py and 4 more``."""
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
