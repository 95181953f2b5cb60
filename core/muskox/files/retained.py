"""The code of a retained table: when a version bump keeps the old table, ``generate migration --save`` writes a
module declaring it ``EXTERNALLY_MANAGED`` (spec 7.3) and imports it from the main module.

Without that declaration the next plan would see the old table gone from the code and plan its ``DROP``. Every
column keeps its exact type through :func:`muskox.clickhouse_type` (the type's text in the OLAP backend's
dialect, which also reads it back), so the declaration reads back as the table itself; an engine the
declaration API has no class for is left to the server (the table is never changed anyway, and a comment says
so).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from pathlib import Path

from muskox.model import engines
from muskox.model.table import Column, Table
from muskox.plan.policies.version_bumps import BumpDecision, VersionBump, logical_name
from muskox.plugin.dialect import Dialect

__all__ = ["import_line", "retained_module_name", "retained_source", "write_kept_tables", "write_retained"]

_RESERVED_FIELDS = frozenset({"model_config", "model_fields", "model_computed_fields", "dict", "json", "copy",
                              "parse_obj", "parse_raw", "parse_file", "schema", "schema_json", "construct",
                              "validate", "from_orm", "update_forward_refs", "fields"})

_ENGINE_CLASSES: dict[type, str] = {
    engines.MergeTree: "MergeTreeEngine", engines.ReplacingMergeTree: "ReplacingMergeTreeEngine",
    engines.SummingMergeTree: "SummingMergeTreeEngine", engines.AggregatingMergeTree: "AggregatingMergeTreeEngine",
    engines.CollapsingMergeTree: "CollapsingMergeTreeEngine",
    engines.VersionedCollapsingMergeTree: "VersionedCollapsingMergeTreeEngine",
}


#: Declaration API names the generated code may use (imported when it does).
_API = ("Key", "clickhouse_type", "clickhouse_default", "ClickHouseMaterialized", "ClickHouseAlias", "ClickHouseTTL",
        "clickhouse_codec", "TableIndex", "TableProjection", *(f"Replicated{n}" for n in _ENGINE_CLASSES.values()),
        *_ENGINE_CLASSES.values())


def _slug(text: str) -> str:
    slug = re.sub(r"\W+", "_", text, flags=re.ASCII).strip("_").lower()
    return slug or "table"


def retained_module_name(table: Table) -> str:
    """``retained_<db_>table``: the module's name (its file is ``<name>.py`` beside the main module)."""
    prefix = f"{_slug(table.database)}_" if table.database else ""
    return f"retained_{prefix}{_slug(table.name)}"


def import_line(source_dir: str, module: str) -> str:
    """The line the main module gets: ``import app.retained_events_1  # noqa: F401 ...``."""
    package = ".".join(Path(source_dir).parts)
    return f"import {package}.{module}  # noqa: F401 - the old table a version bump kept (muskox)"


def _field_name(column: Column, index: int, taken: set[str]) -> str:
    name = column.name
    plain = (name.isidentifier() and name.isascii() and not keyword.iskeyword(name)
             and not name.startswith(("_", "model_")) and name not in _RESERVED_FIELDS)
    chosen = name if plain and name not in taken else f"column_{index}"
    taken.add(chosen)
    return chosen


def _column_line(column: Column, index: int, taken: set[str], dialect: Dialect) -> str:
    markers = [f"clickhouse_type({dialect.render_type(column.data_type)!r})"]
    for value, function in ((column.default, "clickhouse_default"), (column.materialized, "ClickHouseMaterialized"),
                            (column.alias, "ClickHouseAlias"), (column.ttl, "ClickHouseTTL"),
                            (column.codec, "clickhouse_codec")):
        if value is not None:
            markers.append(f"{function}({value!r})")
    annotation = f"Annotated[Any, {', '.join(markers)}]"
    if column.primary_key:
        annotation = f"Key[{annotation}]"
    if column.nullable:
        annotation = f"Optional[{annotation}]"
    field = _field_name(column, index, taken)
    options = []
    if field != column.name:
        options.append(f"alias={column.name!r}")
    if column.comment is not None:
        options.append(f"description={column.comment!r}")
    default = " = None" if column.nullable else ""
    if options:
        default = f" = Field({'None, ' if column.nullable else ''}{', '.join(options)})"
    return f"    {field}: {annotation}{default}"


def _engine(engine: engines.Engine, dialect: Dialect) -> tuple[str | None, str | None]:
    """``(constructor source, comment)`` for the declaration's ``engine=``."""
    if isinstance(engine, engines.OtherEngine):
        return None, f"engine {dialect.render_engine(engine)} has no declaration class: left as the server has it"
    name = _ENGINE_CLASSES[type(engine)]
    arguments: list[str] = []
    if engine.replication is not None:
        name = "Replicated" + name
        if engine.replication.keeper_path is not None:
            arguments += [f"keeper_path={engine.replication.keeper_path!r}",
                          f"replica_name={engine.replication.replica_name!r}"]
    match engine:
        case engines.ReplacingMergeTree(ver=ver, is_deleted=is_deleted):
            arguments += [f"{k}={v!r}" for k, v in (("ver", ver), ("is_deleted", is_deleted)) if v is not None]
        case engines.SummingMergeTree(columns=columns) if columns:
            arguments.append(f"columns={list(columns)!r}")
        case engines.CollapsingMergeTree(sign=sign):
            arguments.append(f"sign={sign!r}")
        case engines.VersionedCollapsingMergeTree(sign=sign, ver=ver):
            arguments += [f"sign={sign!r}", f"ver={ver!r}"]
    return f"{name}({', '.join(arguments)})", None


def _config(table: Table, engine: str | None) -> list[str]:
    options = [f"version={table.version!r}"] if table.version else []
    options.append("life_cycle=LifeCycle.EXTERNALLY_MANAGED")
    if table.database is not None:
        options.append(f"database={table.database!r}")
    if isinstance(table.order_by, str):
        options.append(f"order_by_expression={table.order_by!r}")
    elif table.order_by:
        options.append(f"order_by_fields={list(table.order_by)!r}")
    elif any(c.primary_key for c in table.columns):
        options.append("order_by_expression='tuple()'")
    for option, value in (("partition_by", table.partition_by), ("primary_key_expression",
                                                                  table.primary_key_expression),
                          ("sample_by_expression", table.sample_by), ("ttl", table.ttl), ("cluster", table.cluster)):
        if value is not None:
            options.append(f"{option}={value!r}")
    if table.settings:
        options.append(f"settings={dict(table.settings)!r}")
    if engine is not None:
        options.append(f"engine={engine}")
    if table.indexes:
        options.append("indexes=[" + ", ".join(
            f"TableIndex(name={i.name!r}, expression={i.expression!r}, type={i.type!r}, "
            f"arguments={list(i.arguments)!r}, granularity={i.granularity!r})" for i in table.indexes) + "]")
    if table.projections:
        options.append("projections=[" + ", ".join(
            f"TableProjection(name={p.name!r}, body={p.body!r})" for p in table.projections) + "]")
    return options


def retained_source(table: Table, replaced_by: str, dialect: Dialect) -> str:
    """The module declaring ``table`` as ``EXTERNALLY_MANAGED`` (``replaced_by``: the new table's name; types and
    engines written in the OLAP backend's ``dialect``)."""
    model = "Retained" + "".join(part.capitalize() for part in _slug(table.name).split("_"))
    engine, engine_note = _engine(table.engine, dialect)
    taken: set[str] = set()
    fields = [_column_line(column, index, taken, dialect)
              for index, column in enumerate(table.columns)] or ["    pass"]
    options = _config(table, engine)
    config = ",\n        ".join(options)
    body = "\n".join((*fields, *options))
    used = sorted({"LifeCycle", "OlapConfig", "OlapTable", *(n for n in _API if re.search(rf"\b{n}\(|\b{n}\[", body))})
    lines = [
        f'"""The old table {table.name!r}, kept when a version bump replaced it with {replaced_by!r}.',
        "",
        "Written by `muskox generate migration --save`. muskox never changes or drops it (EXTERNALLY_MANAGED).",
        "When its data is no longer needed: drop it by hand, delete this file and its import in the main module.",
        '"""',
        "",
        "from typing import Annotated, Any, Optional",
        "",
        "from pydantic import BaseModel, Field",
        "",
        f"from muskox import {', '.join(used)}",
        "",
        "",
        f"class {model}(BaseModel):",
        *fields,
        "",
        "",
        *([f"# {engine_note}"] if engine_note else []),
        f"{model.lower()} = OlapTable[{model}](",
        f"    {logical_name(table)!r},",
        "    OlapConfig(",
        f"        {config},",
        "    ),",
        ")",
        "",
    ]
    return "\n".join(lines)


def write_retained(table: Table, replaced_by: str, dialect: Dialect, *, project_dir: Path, source_dir: str,
                   main_module: str) -> Path:
    """Write ``<source_dir>/retained_<db_>table.py`` and add its import to the main module (once)."""
    module = retained_module_name(table)
    directory = project_dir / source_dir
    path = directory / f"{module}.py"
    path.write_text(retained_source(table, replaced_by, dialect), encoding="utf-8")
    main = directory / main_module
    line = import_line(source_dir, module)
    text = main.read_text(encoding="utf-8")
    if line not in text.splitlines():
        main.write_text(text + ("" if text.endswith("\n") or not text else "\n") + line + "\n", encoding="utf-8")
    return path



def write_kept_tables(bumps: Sequence[tuple[VersionBump, BumpDecision]], dialect: Dialect, *, project_dir: Path,
                      source_dir: str, main_module: str) -> list[Path]:
    """:func:`write_retained` for every in-place bump whose old table is kept; the files written."""
    return [write_retained(bump.old, bump.new.name, dialect, project_dir=project_dir, source_dir=source_dir,
                           main_module=main_module)
            for bump, decision in bumps if bump.in_place and decision.retain_old]
