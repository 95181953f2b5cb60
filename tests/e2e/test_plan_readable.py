"""A plan a reviewer can read (issue 12, items 1 and 2): types and ``before → after`` per operation, the data
impact and risk codes, ``--json`` with a schema version, ``--format markdown``, and ``--sql``: the statements
``migrate`` sends, which give the same database when run by hand (also for random code changes)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.exit_codes import ExitCode
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.dialect.sql_lexer import source_text, split_top_level, tokenize
from muskox_clickhouse.local import RunningServer
from tests.e2e.scenarios import HEADER, model, table
from tests.e2e.test_migrate import muskox


def write(project: Path, database: str, code: str) -> None:
    (project / "app").mkdir(parents=True, exist_ok=True)
    (project / "app" / "main.py").write_text(HEADER + code)
    (project / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                         '[state_config]\nstorage = "file"\n')


def fresh(server: RunningServer, database: str) -> str:
    with connect(parse_url(server.http_url), use_database=False) as admin:
        admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    return f"{server.http_url}/{database}"


def migrate_to(project: Path, url: str, *flags: str) -> None:
    generated = muskox(project, "generate", "migration", "--clickhouse-url", url, "--save", *flags)
    assert generated.returncode == 0, generated.stderr
    migrated = muskox(project, "migrate", "--clickhouse-url", url)
    assert migrated.returncode == 0, migrated.stderr


BEFORE = model("id: Key[str]", "visits: UInt32", "referrer: str") + table("Event", "users")
AFTER = model("id: Key[str]", "visits: UInt64", "country: Optional[str] = None") + table("Event", "users")


def test_the_listing_shows_types_changes_impact_and_risks(clickhouse_server: RunningServer, tmp_path: Path) -> None:
    url = fresh(clickhouse_server, "readable")
    write(tmp_path, "readable", BEFORE)
    created = muskox(tmp_path, "plan", "--clickhouse-url", url)
    assert "+ id String (key)" in created.stdout and "+ visits UInt32" in created.stdout
    assert "data: a new, empty table" in created.stdout
    migrate_to(tmp_path, url)
    write(tmp_path, "readable", AFTER)

    shown = muskox(tmp_path, "plan", "--clickhouse-url", url)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "type: UInt32 → UInt64" in text
    assert "data: existing values are converted without loss" in text
    assert "risk: mutation_rewrites_parts" in text
    assert "+ country Nullable(String) (after visits)" in text and "data: existing rows get NULL" in text
    assert "- referrer" in text and "data: the column's data is permanently lost" in text
    assert "risk: drop_column_data_loss" in text
    assert "\x1b[" not in text  # colour on terminals only

    document = json.loads(muskox(tmp_path, "plan", "--clickhouse-url", url, "--json").stdout)
    assert document["schema_version"] == 1
    assert {"code": "drop_column_data_loss", "level": "destructive"}.items() <= next(
        risk for risk in document["risks"] if risk["code"] == "drop_column_data_loss").items()
    modified = next(e for e in document["explained"] if e["operation"] == "ModifyTableColumn")
    assert modified["details"] == ["type: UInt32 → UInt64"] and modified["level"] == "risky"

    markdown = muskox(tmp_path, "plan", "--clickhouse-url", url, "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "| # | Operation | Risk | Data impact |" in markdown.stdout
    assert "`drop_column_data_loss`" in markdown.stdout
    assert "<details><summary>SQL (" in markdown.stdout and "```sql" in markdown.stdout

    both = muskox(tmp_path, "plan", "--clickhouse-url", url, "--json", "--format", "markdown")
    assert both.returncode == ExitCode.USAGE and "choose one" in both.stderr


def run_script(url: str, script: str) -> None:
    """Run an SQL script as a person would: statement by statement, in one session (SET and USE persist)."""
    statements = [source_text(script, part) for part in split_top_level(tokenize(script), ";") if part]
    with connect(parse_url(url), use_database=False) as client:
        for statement in statements:
            client.command(statement)


def schema(url: str, database: str) -> list[tuple[object, ...]]:
    with connect(parse_url(url), use_database=False) as client:
        columns = client.query(
            "SELECT table, name, position, type, default_kind, default_expression, compression_codec, comment "
            f"FROM system.columns WHERE database = '{database}' ORDER BY table, position")
        tables = client.query(f"SELECT name, engine_full, sorting_key FROM system.tables WHERE database = "
                              f"'{database}' ORDER BY name")
    return [tuple(row) for row in columns] + [tuple(str(v).replace(database, "DB") for v in row) for row in tables]


def test_sql_run_by_hand_on_an_empty_database_gives_what_migrate_gives(clickhouse_server: RunningServer,
                                                                       tmp_path: Path) -> None:
    code = AFTER + model("id: Key[str]", 'n: Annotated[str, "LowCardinality"]', name="Other") + \
        table("Other", "others")
    by_hand, by_migrate = tmp_path / "by_hand", tmp_path / "by_migrate"
    hand_url, migrate_url = fresh(clickhouse_server, "sql_by_hand"), fresh(clickhouse_server, "sql_by_migrate")
    write(by_hand, "sql_by_hand", code)
    write(by_migrate, "sql_by_migrate", code)
    printed = muskox(by_hand, "plan", "--clickhouse-url", hand_url, "--sql")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("-- muskox: the statements")
    assert "Plan: 2 to add" in printed.stderr  # the listing goes to stderr: stdout is the script alone
    assert "CREATE DATABASE IF NOT EXISTS `sql_by_hand`;  -- sent only when the database does not exist" in \
        printed.stdout
    assert "SET flatten_nested = 0;" in printed.stdout
    run_script(clickhouse_server.http_url, printed.stdout)
    migrate_to(by_migrate, migrate_url)
    assert schema(clickhouse_server.http_url, "sql_by_hand") == schema(clickhouse_server.http_url, "sql_by_migrate")


# -- the property: for random code changes, the printed statements do what migrate does --------------------

FIELDS = {  # one name's types never meet another name's, so no change is ever a rename candidate
    "visits": ["visits: UInt32", "visits: UInt64", "visits: Int32"],
    "country": ["country: str", "country: Optional[str] = None"],
    "score": ["score: float"],
    "day": ["day: date"],
    "amount": ["amount: int", 'amount: int = clickhouse_default("7")'],
}

versions = st.fixed_dictionaries({name: st.one_of(st.none(), st.sampled_from(variants))
                                  for name, variants in FIELDS.items()})


def code_of(version: dict[str, str | None]) -> str:
    fields = ["id: Key[str]", *(field for field in version.values() if field)]
    return model(*fields) + table()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=versions, after=versions)
def test_printed_sql_does_what_migrate_does(clickhouse_server: RunningServer, before: dict[str, str | None],
                                            after: dict[str, str | None]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        by_hand, by_migrate = root / "by_hand", root / "by_migrate"
        hand_url, migrate_url = fresh(clickhouse_server, "prop_by_hand"), fresh(clickhouse_server, "prop_by_migrate")
        for project, database, url in ((by_hand, "prop_by_hand", hand_url),
                                       (by_migrate, "prop_by_migrate", migrate_url)):
            write(project, database, code_of(before))
            migrate_to(project, url)
            write(project, database, code_of(after))
        printed = muskox(by_hand, "plan", "--clickhouse-url", hand_url, "--sql")
        assert printed.returncode == 0, printed.stderr
        run_script(clickhouse_server.http_url, printed.stdout)
        migrate_to(by_migrate, migrate_url, "--yes-all")
        assert schema(clickhouse_server.http_url, "prop_by_hand") == \
            schema(clickhouse_server.http_url, "prop_by_migrate"), printed.stdout
