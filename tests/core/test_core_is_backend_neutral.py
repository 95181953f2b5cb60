"""The core speaks no ClickHouse: it imports and works without the ClickHouse plugin, and embeds none of its SQL.

1. In a child process that refuses ``muskox_clickhouse``, ``clickhouse_connect``, ``asynch`` and ``chdb``, every
   module of ``muskox`` imports, and the planner, the executor, the drift checks, the plan files, the state hash
   and collection work on a toy backend whose dialect has other quoting, type text and comparison rules
   (:mod:`tests.core.backend_neutral_probe`, :mod:`tests.core.toy_dialect`); the results must be the toy's.
2. No module of the core contains the ClickHouse SQL that moved to the plugin (a deny-list of fragments checked
   on the strings in the code, docstrings aside), nor imports the ClickHouse plugin or drivers.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.neutrality import REFUSED

ROOT = Path(__file__).parents[2]
CORE = ROOT / "core" / "muskox"

#: Core modules whose strings may match the deny-list, and why. Anything else matching fails the test.
EXEMPT = {
    "muskox.testing.strategies": "sample expressions as ClickHouse prints them, test data for the round trips",
}

#: Fragments of the ClickHouse dialect that must not come back into the core (checked on the strings of the code,
#: f-string placeholders written as ``{}``).
DENY = {
    "backtick quoting": re.compile(r"^`+$|\\`"),
    "type text rendered from its parts": re.compile(
        r"\b(Nullable|LowCardinality|Array|Map|Tuple|Nested|DateTime64|Enum8|Enum16|AggregateFunction"
        r"|SimpleAggregateFunction|JSON)\(\{\}"),
    "ClickHouse's interval functions": re.compile(r"\btoInterval\w*|\bINTERVAL \{\}"),
    "formatQuery": re.compile(r"\bformatQuery\b"),
    "a SQL statement": re.compile(r"\b(INSERT INTO|ALTER TABLE|CREATE (TABLE|VIEW|MATERIALIZED VIEW|DATABASE)"
                                  r"|ON CLUSTER|OPTIMIZE TABLE)\b|\bSELECT\b.*\bFROM\b"),
    "an engine, settings or codec clause": re.compile(r"\bENGINE\s*=|\bSETTINGS\s+\{\}|\bCODEC\("),
    "a system table": re.compile(r"\bsystem\.(tables|columns|databases|parts|mutations|settings)\b"),
}


# -- 1. the core without ClickHouse, on a toy backend ---------------------------------------------------


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    """What the probe reports (it runs in its own process: the refusal must come before the first import)."""
    done = subprocess.run([sys.executable, "-m", "tests.core.backend_neutral_probe"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    for part in ("planning", "drift", "collection"):
        assert "error" not in report[part], report[part]["error"]
    return report


def test_every_core_module_imports_without_clickhouse(probe: dict[str, Any]) -> None:
    assert probe["clickhouse_refused"]  # the control: the plugin really was unimportable
    assert probe["imports"]["failed"] == {}
    assert {"muskox.plan.differ", "muskox.plan.planner", "muskox.apply.drift", "muskox.files.state_hash",
            "muskox.model.codec", "muskox.declare.schema", "muskox.cli.main"} <= set(probe["imports"]["imported"])
    assert probe["refused_imports"] == [] and probe["loaded_refused_modules"] == []


def test_the_planner_follows_the_toy_dialect(probe: dict[str, Any]) -> None:
    planning = probe["planning"]
    assert planning["operations"] == [
        # teardown: the column the toy cannot convert (String to Int64), the dropped table, the recreated one
        "Dropping column 'kind' from table 'events'",
        "Dropping table 'legacy'",
        "Dropping table 'sessions'",
        # setup: the column added again, the converted one (Int32 to Int64), the new one; the note's default
        # differs only in case and spaces, which the toy ignores
        "Adding column 'kind' to table 'events'",
        "Modifying column 'amount' in table 'events'",
        "Adding column 'seen' to table 'events'",
        "Creating table 'sessions'",
        "Creating table 'orders_2_0'",
        "Backfill orders_2_0 from orders_1_0",
        # b_base first: a_recent reads it, named as [shop].[b_base] (the toy's quoting)
        "Creating view 'b_base'",
        "Creating view 'a_recent'",
        "Dropping table 'orders_1_0'",
    ]
    assert planning["raw_sql"] == ["COPY [shop].[orders_2_0] ([id], [total]) FROM [shop].[orders_1_0]"]
    assert "DROP + RECREATE TABLE sessions (sort key changed)" in planning["destructive"]
    assert planning["risky"] == []  # the toy says Int32 → Int64 keeps every value


def test_plan_files_and_apply_use_the_toy_dialect(probe: dict[str, Any]) -> None:
    planning = probe["planning"]
    assert planning["plan_file_has_toy_type_text"] and planning["plan_file_reads_back"]
    assert planning["applied"]
    assert planning["statements_run"] == planning["raw_sql"]
    assert planning["at_target_after_apply"] and planning["replanned_operations"] == 0


def test_drift_and_the_state_hash_compare_in_the_toy_dialect(probe: dict[str, Any]) -> None:
    drift = probe["drift"]
    assert drift["reformatted"] == drift["no_drift_value"]  # 'X' against 'x': the same to the toy
    assert drift["changed"] == "drift"
    assert drift["changed_report"] == ["~ table events: column extra added"]
    assert drift["hash_ignores_reformatting"] and drift["hash_sees_changes"]


def test_collection_reads_exact_types_and_quotes_sources_in_the_toy_dialect(probe: dict[str, Any]) -> None:
    assert probe["collection"]["types_read_by_the_dialect"]
    assert probe["collection"]["view_sources"] == ["[rows]"]


# -- 2. no ClickHouse SQL in the core's code --------------------------------------------------------------


def code_strings(source: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of every string in the code, docstrings aside; f-strings with ``{}`` for placeholders."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            skip.add(id(node.value))
        elif isinstance(node, ast.JoinedStr):
            skip.update(id(value) for value in node.values)
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every import statement, wherever it is."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def findings(source: str) -> list[str]:
    """Each deny-listed fragment and refused import in ``source``, as ``line: what: text``."""
    found = [f"{line}: {what}: {text[:80]!r}" for line, text in code_strings(source)
             for what, pattern in DENY.items() if pattern.search(text)]
    found += [f"{line}: imports {module}" for line, module in imported_modules(source)
              if module.split(".")[0] in REFUSED]
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def exempt(name: str) -> bool:
    return any(name == e or name.startswith(e + ".") for e in EXEMPT)


def test_no_core_module_embeds_clickhouse_sql() -> None:
    problems = {}
    for path in sorted(CORE.rglob("*.py")):
        name = module_name(path)
        found = findings(path.read_text(encoding="utf-8"))
        if found and not exempt(name):
            problems[name] = found
    assert problems == {}


@pytest.mark.parametrize("source", [
    'def quote(name):\n    return "`" + name.replace("`", "\\\\`") + "`"\n',
    'def render(inner):\n    return f"Nullable({inner})"\n',
    'TTL = "ts + toIntervalDay(30)"\n',
    'def backfill(new, old):\n    return f"INSERT INTO {new} SELECT * FROM {old}"\n',
    'def engine(e):\n    return f"ENGINE = {e}"\n',
    'from muskox_clickhouse.dialect import CLICKHOUSE\n',
    'def later():\n    import clickhouse_connect\n',
])
def test_the_deny_list_catches_what_moved(source: str) -> None:
    assert findings(source)


def test_docstrings_and_messages_are_not_findings() -> None:
    source = ('"""Renders ``INSERT INTO t SELECT * FROM s`` and ``Nullable(T)``."""\n'
              'FIX = "run `muskox generate migration --save`"\n'
              'def f(name):\n    """CREATE TABLE docs."""\n    return f"DROP COLUMN {name} FROM events"\n')
    assert findings(source) == []


def test_exemptions_name_modules_that_exist() -> None:
    names = {module_name(path) for path in CORE.rglob("*.py")}
    assert all(any(n == e or n.startswith(e + ".") for n in names) for e in EXEMPT)
