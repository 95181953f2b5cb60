"""Collecting a project: the ported Moose project matches Moose's own output; isolation; clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from muskox.declare import DeclarationError, collect_project
from muskox.exit_codes import ExitCode
from muskox.model.codec import model_codec
from muskox_clickhouse.dialect import CLICKHOUSE
from tests.keys import moose_keys

CODEC = model_codec(CLICKHOUSE)

FIXTURES = Path(__file__).parent.parent / "fixtures"
MOOSE = FIXTURES / "moose-cli-0.6.533" / "snapshot-mode"
PORTED = FIXTURES / "ported_moose_project"

#: Settings the server reports for every MergeTree table; Moose copies them into its map, muskox does not
#: declare them (the normalization module treats them as defaults).
SERVER_DEFAULT_SETTINGS = ("index_granularity", "index_granularity_bytes", "enable_mixed_granularity_parts")


def _without_server_defaults(table: dict[str, Any]) -> dict[str, Any]:
    table = {k: v for k, v in table.items() if k not in ("engine_params_hash", "table_settings_hash")}
    settings = {k: v for k, v in (table.pop("table_settings", None) or {}).items()
                if k not in SERVER_DEFAULT_SETTINGS}
    if settings:
        table["table_settings"] = settings
    return table


def _declared_part(infra: dict[str, Any]) -> dict[str, Any]:
    return {
        "default_database": infra["default_database"],
        "tables": {k: _without_server_defaults(t) for k, t in infra["tables"].items()},
        "views": infra["views"],
        "materialized_views": infra["materialized_views"],
    }


@pytest.mark.parametrize("step", ["step1", "step2"])
def test_ported_moose_project_matches_moose(step: str) -> None:
    """model_v1/v2.py with ``from muskox import`` give the tables, views and MVs moose-cli 0.6.533 wrote."""
    import pydantic  # noqa: F401 - the fixture project declares pydantic models
    expected = json.loads((MOOSE / step / "local_infra_map.json").read_text())
    collected = CODEC.to_json(collect_project(PORTED / step, default_database="fx_legacy"))
    assert _declared_part(collected) == _declared_part(expected)


def test_ported_project_differs_from_the_original_only_in_imports() -> None:
    for step, version in (("step1", "v1"), ("step2", "v2")):
        original = (FIXTURES / "moose-cli-0.6.533" / f"model_{version}.py").read_text()
        ported = (PORTED / step / "app" / "main.py").read_text()
        assert ported == original.replace("from moose_lib import", "from muskox import")


# -- projects written on the fly ------------------------------------------------------------------------


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return root


HEADER = "import dataclasses\nfrom muskox import OlapTable, OlapConfig, Key, View, ViewConfig\n"


def src(body: str) -> str:
    """A module: the common imports, then ``body`` (dedented)."""
    return HEADER + textwrap.dedent(body)


def test_declarations_in_imported_modules_are_collected(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": src("""
            @dataclasses.dataclass
            class User:
                id: Key[str]

            users = OlapTable[User]("users", OlapConfig(version="1.0"))
        """),
        "app/main.py": """
            from app.models import users
            from .views import *  # noqa
        """,
        "app/views.py": src("""
            from app.models import users
            active = View("active_users", ViewConfig(select_statement="SELECT 1", base_tables=[users]))
        """),
    })
    infra = collect_project(project, default_database="db")
    assert moose_keys(infra) == ["db_users_1_0_1_0"]
    table = infra.tables['"db"."users_1_0"_1_0']
    assert table.name == "users_1_0"
    assert table.metadata is not None and table.metadata.source is not None
    assert table.metadata.source.file == "app/models.py"
    assert infra.views['"db"."active_users"'].source_tables == ("`users_1_0`",)


def test_duplicate_table_names_both_places(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "app/other.py": src("""
            @dataclasses.dataclass
            class A:
                id: Key[str]

            first = OlapTable[A]("events")
        """),
        "app/main.py": src("""
            import app.other

            @dataclasses.dataclass
            class B:
                id: Key[str]

            second = OlapTable[B]("events")
        """),
    })
    with pytest.raises(DeclarationError) as raised:
        collect_project(project, default_database="db")
    message = str(raised.value)
    assert "'events' is declared twice in database db" in message
    assert "table at app/other.py:8" in message and "table at app/main.py:10" in message
    assert raised.value.exit_code == ExitCode.CONFIG


def test_same_name_in_other_database_or_version_is_fine(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/main.py": src("""
        @dataclasses.dataclass
        class A:
            id: Key[str]

        OlapTable[A]("events")
        OlapTable[A]("events", OlapConfig(version="2"))
        OlapTable[A]("events", OlapConfig(database="other"))
    """)})
    infra = collect_project(project, default_database="db")
    assert moose_keys(infra) == ["db_events", "db_events_2_2", "other_events"]


def test_a_view_may_not_reuse_a_table_name(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/main.py": src("""
        @dataclasses.dataclass
        class A:
            id: Key[str]

        t = OlapTable[A]("events")
        v = View("events", ViewConfig(select_statement="SELECT 1", base_tables=[t]))
    """)})
    with pytest.raises(DeclarationError, match=r"table at app/main\.py:8 and view at app/main\.py:9"):
        collect_project(project, default_database="db")


def test_missing_main_module(tmp_path: Path) -> None:
    with pytest.raises(DeclarationError) as raised:
        collect_project(tmp_path, default_database="db")
    message = str(raised.value)
    assert f"no main module at {tmp_path.resolve() / 'app' / 'main.py'}" in message
    assert "Fix: create app/main.py" in message


def test_bad_declaration_fails_with_place_model_and_field(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/main.py": src("""
        @dataclasses.dataclass
        class Event:
            id: Key[str]
            amount: complex

        events = OlapTable[Event]("events")
    """)})
    with pytest.raises(DeclarationError) as raised:
        collect_project(project, default_database="db")
    assert str(raised.value).startswith(
        "app/main.py:9: OlapTable 'events': Event.amount: unsupported type complex. Fix: use one of")


def test_import_errors_name_the_project_line(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/main.py": "import app.helper\n", "app/helper.py": "x = 1\ny = 1 / 0\n"})
    with pytest.raises(DeclarationError, match=r"app/helper\.py:2: importing app\.main failed: ZeroDivisionError"):
        collect_project(project, default_database="db")
    write_project(tmp_path, {"app/helper.py": "def broken(:\n"})
    with pytest.raises(DeclarationError, match=r"app/helper\.py:1: syntax error"):
        collect_project(project, default_database="db")


def test_two_collections_in_a_row_are_independent(tmp_path: Path) -> None:
    """Same package name, changed code, re-declared names: nothing leaks from one collection to the next."""
    body = src("""
        @dataclasses.dataclass
        class A:
            id: Key[str]

        OlapTable[A]("{name}")
    """)
    first = write_project(tmp_path / "one", {"app/main.py": body.replace("{name}", "alpha")})
    second = write_project(tmp_path / "two", {"app/main.py": body.replace("{name}", "beta_table")})
    modules_before = set(sys.modules)
    path_before = list(sys.path)
    assert moose_keys(collect_project(first, default_database="db")) == ["db_alpha"]
    assert moose_keys(collect_project(second, default_database="db")) == ["db_beta_table"]
    assert moose_keys(collect_project(first, default_database="db")) == ["db_alpha"]  # no duplicate error
    write_project(first, {"app/main.py": body.replace("{name}", "gamma")})
    assert moose_keys(collect_project(first, default_database="db")) == ["db_gamma"]
    assert not {m for m in set(sys.modules) - modules_before if m == "app" or m.startswith("app.")}
    assert sys.path == path_before
    assert not list(first.rglob("__pycache__"))


def test_an_already_loaded_app_package_is_restored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = type(sys)("app")
    monkeypatch.setitem(sys.modules, "app", marker)
    project = write_project(tmp_path, {"app/main.py": "VALUE = 1\n"})
    assert collect_project(project, default_database="db").tables == {}
    assert sys.modules["app"] is marker


def test_custom_source_dir_and_main_module(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"src/models/tables.py": src("""
        @dataclasses.dataclass
        class A:
            id: Key[str]

        OlapTable[A]("a")
    """)})
    infra = collect_project(project, source_dir="src/models", main_module="tables.py", default_database="db")
    assert moose_keys(infra) == ["db_a"]
    assert infra.tables['"db"."a"'].metadata.source.file == "src/models/tables.py"  # type: ignore[union-attr]


def test_import_muskox_does_not_load_the_declaration_api() -> None:
    code = ("import sys, muskox; print(sorted(m for m in sys.modules if m.startswith(('muskox.declare', "
            "'muskox.model', 'pydantic', 'attrs', 'cattrs'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_moose_names_are_exported_from_muskox() -> None:
    import muskox

    names = ["OlapTable", "OlapConfig", "Key", "LifeCycle", "View", "ViewConfig", "MaterializedView",
             "MaterializedViewOptions", "ReplacingMergeTreeEngine", "ClickHouseEngines", "clickhouse_decimal",
             "clickhouse_datetime64", "UInt32", "aggregated", "simple_aggregated", "collect_project"]
    for name in names:
        assert getattr(muskox, name) is not None
        assert name in dir(muskox) and name in muskox.__all__
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        muskox.Nope  # noqa: B018


def test_a_quick_rewrite_of_the_same_size_and_time_is_seen(tmp_path: Path) -> None:
    """Project modules are compiled from their source every time: a rewrite keeping size and modification time
    (which bytecode validated by time would miss) still changes the answer, and nothing is written."""
    import os

    body = src("""
        @dataclasses.dataclass
        class A:
            id: Key[str]

        OlapTable[A]("t_{n}")
    """)
    project = write_project(tmp_path / "p", {"app/main.py": body.replace("{n}", "1"), "app/__init__.py": ""})
    main = project / "app" / "main.py"
    assert moose_keys(collect_project(project, default_database="db")) == ["db_t_1"]
    stat = main.stat()
    main.write_text(textwrap.dedent(body.replace("{n}", "2")))
    os.utime(main, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert moose_keys(collect_project(project, default_database="db")) == ["db_t_2"]
    assert not list(project.rglob("__pycache__"))


def test_places_in_a_large_module_name_the_right_line(tmp_path: Path) -> None:
    """Finding a declaration's line bisects the module's line table (f_lineno scans it): the lines still agree."""
    lines = [HEADER, "@dataclasses.dataclass\nclass A:\n    id: Key[str]\n"]
    lines += [f'OlapTable[A]("t_{n}")\n' if n % 7 else f'x_{n} = [OlapTable[A](\n    "t_{n}")]\n'
              for n in range(3000)]
    lines.append('OlapTable[A]("t_1500")\n')
    text = "".join(lines)
    project = write_project(tmp_path, {"app/main.py": text})
    duplicate = text.count("\n", 0, text.rindex('OlapTable[A]("t_1500")')) + 1
    first = text.count("\n", 0, text.index('OlapTable[A]("t_1500")')) + 1
    with pytest.raises(DeclarationError) as info:
        collect_project(project, default_database="db")
    assert f"app/main.py:{first}" in str(info.value)
    assert f"app/main.py:{duplicate}" in str(info.value)
