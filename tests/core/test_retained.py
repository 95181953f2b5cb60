"""The module written for a table a version bump keeps: it declares exactly that table, EXTERNALLY_MANAGED."""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.declare import collect_project
from muskox.files.retained import import_line, retained_module_name, retained_source, write_retained
from muskox.model.engines import OtherEngine
from muskox.model.table import LifeCycle, Table
from muskox.testing.strategies import tables
from muskox_clickhouse.dialect import CLICKHOUSE

MAIN = "from muskox import OlapTable\n"


def collect(project: Path) -> dict[str, Table]:
    return collect_project(project, default_database="db").tables


def comparable(table: Table) -> Table:
    return attrs.evolve(CLICKHOUSE.normalize_table(table, default_database="db"), metadata=None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), version=st.sampled_from((None, "1", "1.2")), database=st.sampled_from((None, "other")))
def test_the_written_module_declares_the_same_table_externally_managed(table: Table, version: str | None,
                                                                        database: str | None) -> None:
    name = table.name + ("" if version is None else "_" + version.replace(".", "_"))
    table = attrs.evolve(table, name=name, version=version, database=database)
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory)
        (project / "app").mkdir()
        (project / "app" / "main.py").write_text(MAIN)
        write_retained(table, "new_table", CLICKHOUSE, project_dir=project, source_dir="app", main_module="main.py")
        [found] = collect(project).values()
    expected = attrs.evolve(table, life_cycle=LifeCycle.EXTERNALLY_MANAGED)
    assert comparable(found) == comparable(expected)


def test_the_import_is_added_once_and_the_file_is_named_after_database_and_table(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(MAIN.rstrip("\n"))  # no final newline: one is added first
    table = Table(name="events_1", version="1", database="Analytics", columns=())
    first = write_retained(table, "events_2", CLICKHOUSE, project_dir=tmp_path, source_dir="app", main_module="main.py")
    write_retained(table, "events_2", CLICKHOUSE, project_dir=tmp_path, source_dir="app", main_module="main.py")
    assert first == tmp_path / "app" / f"{retained_module_name(table)}.py"
    assert first.name == "retained_analytics_events_1.py"
    main = (tmp_path / "app" / "main.py").read_text().splitlines()
    assert main == ["from muskox import OlapTable", import_line("app", "retained_analytics_events_1")]
    assert main[1].startswith("import app.retained_analytics_events_1  ")


def test_an_engine_without_a_declaration_class_is_named_in_a_comment() -> None:
    table = Table(name="kv", columns=(), engine=OtherEngine(name="Memory", arguments=None))
    source = retained_source(table, "kv_2", CLICKHOUSE)
    assert "# engine Memory has no declaration class" in source
    assert "engine=" not in source
