"""The compiled code of project modules, kept by a hash of the source: it never answers for other source."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import CodeType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from muskox.declare import collect_project
from muskox.declare.code_cache import KEPT, CodeCache, code_cache_dir

BODY = textwrap.dedent("""
    import dataclasses
    from muskox import Key, OlapTable

    @dataclasses.dataclass
    class A:
        id: Key[str]

    OlapTable[A]("{name}")
""")


def _compile(source: bytes, path: str) -> CodeType:
    return compile(source, path, "exec", dont_inherit=True)


def _value(code: CodeType) -> object:
    scope: dict[str, object] = {}
    exec(code, scope)
    return scope.get("value")


@settings(max_examples=40, deadline=None)
@given(first=st.integers(), second=st.integers())
def test_each_source_gets_its_own_code(tmp_path_factory: pytest.TempPathFactory, first: int, second: int) -> None:
    """Whatever was kept before, the code returned is the code of the source given now."""
    cache_dir = tmp_path_factory.mktemp("code")
    cache = CodeCache(cache_dir)
    for number in (first, second, first):
        source = f"value = {number}\n".encode()
        assert _value(cache.code(source, "/p/app/main.py", _compile)) == number
        # a new cache object reads what the previous one kept
        assert _value(CodeCache(cache_dir).code(source, "/p/app/main.py", _compile)) == number


def test_a_kept_entry_is_used_and_a_damaged_one_is_not(tmp_path: Path) -> None:
    compiled: list[bytes] = []

    def counting(source: bytes, path: str) -> CodeType:
        compiled.append(source)
        return _compile(source, path)

    cache = CodeCache(tmp_path)
    source = b"value = 1\n"
    assert _value(cache.code(source, "/p/m.py", counting)) == 1
    assert _value(cache.code(source, "/p/m.py", counting)) == 1
    assert len(compiled) == 1  # the second time it was read back
    assert _value(cache.code(source, "/p/other.py", counting)) == 1
    assert len(compiled) == 2  # another path is another key (code objects carry their file name)
    for entry in tmp_path.iterdir():
        data = bytearray(entry.read_bytes())
        data[-5] ^= 0xFF
        entry.write_bytes(bytes(data))
    assert _value(cache.code(source, "/p/m.py", counting)) == 1
    assert len(compiled) == 3  # damaged: compiled again


def test_an_unwritable_directory_only_costs_a_compilation(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = CodeCache(blocker / "code")  # cannot be created: a file is in the way
    assert _value(cache.code(b"value = 2\n", "/p/m.py", _compile)) == 2


def test_at_most_kept_entries_remain(tmp_path: Path) -> None:
    for number in range(KEPT + 5):
        CodeCache(tmp_path).code(f"value = {number}\n".encode(), "/p/m.py", _compile)
    assert len(list(tmp_path.glob("*.code"))) <= KEPT


def test_collecting_keeps_the_code_under_dot_muskox_and_sees_every_edit(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "app").mkdir(parents=True)
    main = project / "app" / "main.py"
    for name in ("alpha", "beta", "alpha"):
        main.write_text(BODY.replace("{name}", name))
        tables = collect_project(project, default_database="db").tables
        assert [t.name for t in tables.values()] == [name]
    assert len(list(code_cache_dir(project).glob("*.code"))) == 2
    assert not list(project.rglob("__pycache__"))
