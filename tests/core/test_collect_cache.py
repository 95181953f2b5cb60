"""Reusing a collection (``muskox plan``): the stored map comes back only while nothing it came from changed."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from muskox.declare import collect_project
from muskox.declare.collect_cache import entry_key

HEADER = """
import builtins
builtins.__dict__.setdefault("_muskox_test_imports", []).append(__name__)
from pydantic import BaseModel
from muskox import Key, OlapTable


class Row(BaseModel):
    id: Key[str]
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    builtins.__dict__["_muskox_test_imports"] = []


def imports() -> int:
    return len(builtins.__dict__["_muskox_test_imports"])


def project(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "main.py").write_text(HEADER + body)
    return root


def tables(root: Path, reuse: bool = True, database: str = "db") -> list[str]:
    return sorted(collect_project(root, default_database=database, reuse=reuse).tables)


def test_unchanged_code_is_not_imported_again(tmp_path: Path) -> None:
    root = project(tmp_path, 'OlapTable[Row]("a")\n')
    assert tables(root) == ["db_a"] and imports() == 1
    assert tables(root) == ["db_a"] and imports() == 1
    assert tables(root, reuse=False) == ["db_a"] and imports() == 2  # generate and migrate always import


def test_a_changed_module_is_imported_again_even_within_one_clock_tick(tmp_path: Path) -> None:
    root = project(tmp_path, 'OlapTable[Row]("a")\n')
    assert tables(root) == ["db_a"]
    project(tmp_path, 'OlapTable[Row]("b")\n')  # same size, written at once: the content decides
    assert tables(root) == ["db_b"] and imports() == 2


def test_a_data_file_the_code_reads_is_a_dependency(tmp_path: Path) -> None:
    root = project(tmp_path, 'import pathlib\nfor name in (pathlib.Path(__file__).parent / "tables.txt")'
                             '.read_text().split():\n    OlapTable[Row](name)\n')
    (root / "app" / "tables.txt").write_text("a b")
    assert tables(root) == ["db_a", "db_b"]
    (root / "app" / "tables.txt").write_text("a c")
    assert tables(root) == ["db_a", "db_c"] and imports() == 2


def test_a_module_added_to_a_listed_directory_is_seen(tmp_path: Path) -> None:
    root = project(tmp_path, 'import importlib, os\nfor f in sorted(os.listdir(os.path.dirname(__file__))):\n'
                             '    if f.startswith("t_"):\n        importlib.import_module("app." + f[:-3])\n')
    (root / "app" / "t_one.py").write_text('from app.main import OlapTable, Row\nOlapTable[Row]("one")\n')
    assert tables(root) == ["db_one"]
    (root / "app" / "t_two.py").write_text('from app.main import OlapTable, Row\nOlapTable[Row]("two")\n')
    assert tables(root) == ["db_one", "db_two"]


def test_other_inputs_and_the_environment_are_part_of_the_key(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, 'import os\nOlapTable[Row](os.environ.get("TABLE_NAME", "a"))\n')
    assert tables(root) == ["db_a"]
    assert tables(root, database="other") == ["other_a"]
    monkeypatch.setenv("TABLE_NAME", "z")
    assert tables(root) == ["db_z"] and imports() == 3
    assert entry_key(project="p") != entry_key(project="q")


def test_a_damaged_entry_means_importing_as_usual(tmp_path: Path) -> None:
    root = project(tmp_path, 'OlapTable[Row]("a")\n')
    assert tables(root) == ["db_a"]
    [entry] = (tmp_path / "cache" / "muskox" / "collected").iterdir()
    entry.write_bytes(b"not a pickle")
    assert tables(root) == ["db_a"] and imports() == 2
    assert tables(root) == ["db_a"] and imports() == 2  # and it was stored again


def test_a_failing_import_stores_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, 'raise RuntimeError("broken")\n')
    with pytest.raises(Exception, match="broken"):
        tables(root)
    assert not (tmp_path / "cache" / "muskox" / "collected").exists()


def test_only_the_newest_entries_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from muskox.declare import collect_cache

    monkeypatch.setattr(collect_cache, "MAX_ENTRIES", 2)
    root = project(tmp_path, 'OlapTable[Row]("a")\n')
    for database in ("one", "two", "three"):
        tables(root, database=database)
    entries = list((tmp_path / "cache" / "muskox" / "collected").iterdir())
    assert len(entries) == 2
    assert tables(root, database="three") == ["three_a"] and imports() == 3  # the newest is still there
