"""The code of a retained table: when a version bump keeps the old table, ``generate migration --save`` writes a
module declaring it ``EXTERNALLY_MANAGED`` (spec 7.3) and imports it from the main module.

Without that declaration the next plan would see the old table gone from the code and plan its ``DROP``. Every
column keeps its exact type through :func:`muskox.clickhouse_type` (the type's text in the OLAP backend's
dialect, which also reads it back), so the declaration reads back as the table itself; an engine the
declaration API has no class for is left to the server (the table is never changed anyway, and a comment says
so).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from muskox.files.declarations import DeclarationModule, slug
from muskox.model.table import LifeCycle, Table
from muskox.plan.policies.version_bumps import BumpDecision, VersionBump, logical_name
from muskox.plugin.dialect import Dialect

__all__ = ["import_line", "retained_module_name", "retained_source", "write_kept_tables", "write_retained"]


def retained_module_name(table: Table) -> str:
    """``retained_<db_>table``: the module's name (its file is ``<name>.py`` beside the main module)."""
    prefix = f"{slug(table.database)}_" if table.database else ""
    return f"retained_{prefix}{slug(table.name)}"


def import_line(source_dir: str, module: str) -> str:
    """The line the main module gets: ``import app.retained_events_1  # noqa: F401 ...``."""
    package = ".".join(Path(source_dir).parts)
    return f"import {package}.{module}  # noqa: F401 - the old table a version bump kept (muskox)"


def retained_source(table: Table, replaced_by: str, dialect: Dialect) -> str:
    """The module declaring ``table`` as ``EXTERNALLY_MANAGED`` (``replaced_by``: the new table's name; types and
    engines written in the OLAP backend's ``dialect``)."""
    module = DeclarationModule(dialect, life_cycle=LifeCycle.EXTERNALLY_MANAGED, model_prefix="Retained")
    module.add_table(table, logical_name=logical_name(table))
    return module.source([
        f"The old table {table.name!r}, kept when a version bump replaced it with {replaced_by!r}.",
        "",
        "Written by `muskox generate migration --save`. muskox never changes or drops it (EXTERNALLY_MANAGED).",
        "When its data is no longer needed: drop it by hand, delete this file and its import in the main module.",
    ])


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
