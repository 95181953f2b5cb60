"""Run as ``python -m tests.core.backend_neutral_probe``: the core without ClickHouse, on the toy backend.

The first thing this module does is make ``muskox_clickhouse``, ``clickhouse_connect``, ``asynch`` and ``chdb``
unimportable. Then it imports every module of the ``muskox`` package, plans, applies, checks drift, writes a plan
file, hashes states and collects a project with the toy dialect of :mod:`tests.core.toy_dialect`, and prints
what happened as one JSON document on stdout for ``test_core_is_backend_neutral`` to judge.
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any

from tests.core.neutrality import REFUSED


class RefuseClickHouse(importlib.abc.MetaPathFinder):
    """Makes the ClickHouse plugin and the ClickHouse drivers unimportable, and records every attempt."""

    attempts: list[str] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname.split(".")[0] in REFUSED:
            self.attempts.append(fullname)
            raise ModuleNotFoundError(f"No module named {fullname!r} (refused by the backend-neutrality probe)",
                                      name=fullname)
        return


sys.meta_path.insert(0, RefuseClickHouse())

# ruff: noqa: E402 - everything below is imported with the ClickHouse modules refused
import json
import pkgutil
import tempfile
import textwrap
import traceback
from pathlib import Path

import attrs

import muskox
from muskox.apply.drift import DriftOutcome, check_drift, drift_report, same_state
from muskox.apply.executor import execute
from muskox.declare.collect import collect_project
from muskox.files.plan_yaml import Plan, plan_from_yaml, plan_to_yaml
from muskox.files.state_hash import state_hash
from muskox.model import Column, InfraMap, Table, View
from muskox.model.operations import BUILTIN_OPERATIONS, RawSql
from muskox.model.types import Array, DateTime, Decimal, LowCardinality, Simple
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox.plugin.backends import Backends
from tests.core.toy_dialect import ToyBackend

DB = "shop"
ID = Column(name="id", data_type=Simple("Int64"))


def import_everything() -> dict[str, Any]:
    """Import every module of the core (``__main__``, which runs the CLI, aside); the ones that fail, with the
    error."""
    failed: dict[str, str] = {}
    imported = []
    for module in pkgutil.walk_packages(muskox.__path__, "muskox."):
        if module.name.endswith(".__main__"):
            continue
        try:
            importlib.import_module(module.name)
            imported.append(module.name)
        except Exception as exc:
            failed[module.name] = f"{type(exc).__name__}: {exc}"
    return {"imported": imported, "failed": failed}


def table(name: str, *columns: Column, **options: Any) -> Table:
    return Table(name=name, columns=(ID, *columns), order_by=("id",), **options)


def states() -> tuple[InfraMap, InfraMap]:
    """The database before, and what the code wants."""
    events = table("events", Column(name="kind", data_type=Simple("String")),
                   Column(name="amount", data_type=Simple("Int32")),
                   Column(name="note", data_type=Simple("String"), default="'x'"))
    total = Column(name="total", data_type=Decimal(10, 2))
    current = InfraMap.of(DB, tables=[events, table("sessions"), table("legacy"),
                                      table("orders_1_0", total, version="1.0")])
    wanted_events = attrs.evolve(events, columns=(
        ID, Column(name="kind", data_type=Simple("Int64")), Column(name="amount", data_type=Simple("Int64")),
        Column(name="note", data_type=Simple("String"), default="  'X' "),
        Column(name="seen", data_type=DateTime("UTC"))))
    target = InfraMap.of(DB, tables=[wanted_events, attrs.evolve(table("sessions"), order_by="tuple()"),
                                     table("orders_2_0", total, version="2.0")],
                         views=[View(name="a_recent", select_sql="SELECT * FROM b_base",
                                     source_tables=(f"[{DB}].[b_base]",)),
                                View(name="b_base", select_sql="SELECT id FROM events", source_tables=("[events]",))])
    return current, target


def planning() -> dict[str, Any]:
    current, target = states()
    backend = ToyBackend(current)
    backends = Backends(backend, None, streams_enabled=False)
    dialect = backends.dialect
    result = make_plan(PlanRequest(current=backend.introspect(), target=target, dialect=dialect,
                                   approvals=Approvals(yes_all=True, yes_destructive=True)))
    operations = [op.describe() for op in result.operations]
    raw_sql = [sql for op in result.operations if isinstance(op, RawSql) for sql in op.sql]
    text = plan_to_yaml(Plan(created_at="2026-01-01T00:00:00.000000Z", operations=result.operations), dialect)
    read_back = plan_from_yaml(text, BUILTIN_OPERATIONS, dialect).operations == result.operations
    report = execute(result.operations, backends.apply, parallelism=1)
    return {
        "operations": operations, "raw_sql": raw_sql, "risky": [f.description for f in result.risky],
        "destructive": [f.description for f in result.destructive],
        "plan_file_has_toy_type_text": 'timestamp in "UTC"' in text, "plan_file_reads_back": read_back,
        "applied": report.ok, "statements_run": backend.statements,
        "at_target_after_apply": same_state(backend.introspect(), target, dialect),
        "replanned_operations": len(make_plan(PlanRequest(current=backend.introspect(), target=target,
                                                          dialect=dialect, gate=False)).operations),
    }


def drift() -> dict[str, Any]:
    current, target = states()
    dialect = ToyBackend.dialect()
    events = current.tables[f'"{DB}"."events"']
    shouting = attrs.evolve(events, columns=tuple(
        attrs.evolve(c, default="'X'") if c.name == "note" else c for c in events.columns))
    grown = attrs.evolve(events, columns=(*events.columns, Column(name="extra", data_type=Simple("Bool"))))
    reformatted = attrs.evolve(current, tables={**current.tables, f'"{DB}"."events"': shouting})
    changed = attrs.evolve(current, tables={**current.tables, f'"{DB}"."events"': grown})
    return {
        "reformatted": check_drift(reformatted, current, target, dialect).value,
        "changed": check_drift(changed, current, target, dialect).value,
        "changed_report": drift_report(current, changed, dialect),
        "no_drift_value": DriftOutcome.NO_DRIFT.value,
        "hash_ignores_reformatting": state_hash(reformatted, dialect) == state_hash(current, dialect),
        "hash_sees_changes": state_hash(changed, dialect) != state_hash(current, dialect),
    }


def collection() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory)
        (project / "app").mkdir()
        (project / "app" / "__init__.py").write_text("")
        (project / "app" / "main.py").write_text(textwrap.dedent('''
            from typing import Annotated, Any

            from pydantic import BaseModel

            from muskox import OlapConfig, OlapTable, View, ViewConfig, clickhouse_type


            class Row(BaseModel):
                id: Annotated[Any, clickhouse_type("int64")]
                tags: Annotated[Any, clickhouse_type("dict<string>[]")]


            rows = OlapTable[Row]("rows", OlapConfig(order_by_fields=["id"]))
            recent = View("recent", ViewConfig(select_statement="SELECT id FROM rows", base_tables=[rows]))
        '''))
        infra = collect_project(project, default_database=DB, dialect=ToyBackend.dialect())
    rows = infra.tables[f'"{DB}"."rows"']
    return {
        "types_read_by_the_dialect": [c.data_type for c in rows.columns] == [
            Simple("Int64"), Array(LowCardinality(Simple("String")))],
        "view_sources": list(infra.views[f'"{DB}"."recent"'].source_tables),
    }


def main() -> None:
    result: dict[str, Any] = {"imports": import_everything()}
    for name, part in (("planning", planning), ("drift", drift), ("collection", collection)):
        try:
            result[name] = part()
        except Exception:
            result[name] = {"error": traceback.format_exc()}
    result["refused_imports"] = sorted(set(RefuseClickHouse.attempts))
    result["loaded_refused_modules"] = sorted(m for m in sys.modules if m.split(".")[0] in REFUSED)
    try:  # the control: the refusal works
        importlib.import_module("muskox_clickhouse")
        result["clickhouse_refused"] = False
    except ModuleNotFoundError:
        result["clickhouse_refused"] = True
    print(json.dumps(result, default=repr))


if __name__ == "__main__":
    main()
