"""``muskox db pull`` on a database created by hand: the declarations it writes collect back to exactly what the
server holds (awkward names and the types muskox supports included), so the next ``plan`` is empty."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muskox.apply.drift import same_state
from muskox.cli.main import run
from muskox.config import ClickHouseConfig, Config
from muskox.declare.collect import collect_project
from muskox.exit_codes import ExitCode
from muskox.files.pull import PullSelection, pull_source, write_pull
from muskox.model.table import LifeCycle, Table
from muskox.plan.reconcile import reconcile
from muskox.testing.strategies import tables as table_strategy
from muskox_clickhouse import ClickHouseBackend, connect, parse_url
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.testing import TlsClickHouse

COLUMNS = """(
    `id` UInt64,
    `ts` DateTime,
    `class` String COMMENT 'a Python keyword',
    `with space` Nullable(String),
    `model_config` LowCardinality(String),
    `名前` Array(String),
    `quo'te` Map(String, UInt32),
    `back``tick` Tuple(a UInt8, b String),
    `amount` Decimal(18, 4) DEFAULT 0,
    `at` DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    `day` Date MATERIALIZED toDate(ts),
    `kind` Enum8('a' = 1, 'b' = 2),
    `ok` Bool,
    `ip` IPv4,
    `u` UUID,
    `f` Float64,
    `n` Nullable(Int32),
    `lc` LowCardinality(Nullable(String)),
    INDEX `i_ts` ts TYPE minmax GRANULARITY 2
)"""

SCHEMA = [
    f"CREATE TABLE {{db}}.`events` {COLUMNS} ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (id, ts) "
    "TTL ts + INTERVAL 30 DAY SETTINGS index_granularity = 4096",
    "CREATE TABLE {db}.`select` (`from` String, `v` UInt32) ENGINE = ReplacingMergeTree(v) ORDER BY `from`",
    "CREATE TABLE {db}.`it's \"odd\"` (`x` Int64, `y` String) ENGINE = MergeTree ORDER BY tuple()",
    "CREATE TABLE {db}.`名前 表` (`k` String, `s` Int64) ENGINE = SummingMergeTree((s)) ORDER BY k "
    "PRIMARY KEY k",
    "CREATE TABLE {db}.`counts` (`kind` String, `n` UInt64) ENGINE = SummingMergeTree ORDER BY kind",
    "CREATE TABLE {db}.`memory_t` (`a` String) ENGINE = Memory",
    "CREATE VIEW {db}.`big events` AS SELECT id, amount FROM {db}.events WHERE amount > 100",
    "CREATE VIEW {db}.`view of view` AS SELECT id FROM {db}.`big events`",
    "CREATE MATERIALIZED VIEW {db}.`to counts` TO {db}.counts AS SELECT class AS kind, count() AS n FROM {db}.events "
    "GROUP BY kind",
]


@pytest.fixture
def client(clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as sql:
        yield sql


def make_database(client: ClickHouseClient, database: str) -> None:
    client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    client.command(f"CREATE DATABASE `{database}`")
    for statement in SCHEMA:
        client.command(statement.format(db=f"`{database}`"))


def project(tmp_path: Path, database: str, *, main: str | None = None) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                      '[state_config]\nstorage = "file"\n')
    if main is not None:
        (root / "app" / "main.py").write_text(main)
    return root


def cli(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(["--project", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def plan_json(root: Path, url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, err = cli(root, "plan", "--clickhouse-url", url, "--json", capsys=capsys)
    assert code == ExitCode.OK, err
    document: dict[str, object] = json.loads(out)
    return document


def assert_plan_empty(root: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    document = plan_json(root, url, capsys)
    assert document["operations"] == [], json.dumps(document["operations"], indent=1)[:3000]
    assert not document.get("blocked"), document.get("blocked")
    code, out, err = cli(root, "plan", "--clickhouse-url", url, "--exit-code", capsys=capsys)
    assert code == ExitCode.OK, out + err


def test_pull_of_a_hand_made_database_plans_nothing(clickhouse_server: RunningServer, client: ClickHouseClient,
                                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = "pull_awkward"
    make_database(client, database)
    url = f"{clickhouse_server.http_url}/{database}"
    root = project(tmp_path, database)  # no main module yet: db pull creates it

    code, out, err = cli(root, "db", "pull", "--clickhouse-url", url, capsys=capsys)
    assert code == ExitCode.OK, err
    assert "5 tables, 2 views, 1 materialized view " in out
    assert "left out table pull_awkward.memory_t: engine Memory has no declaration class" in err
    pulled = (root / "app" / "pulled.py").read_text()
    assert "import app.pulled" in (root / "app" / "main.py").read_text()
    assert "LifeCycle" not in pulled  # fully managed: the default, not written
    compile(pulled, "pulled.py", "exec")

    target = collect_project(root, default_database=database)
    assert sorted(t.name for t in target.tables.values()) == sorted(
        ["events", "select", "it's \"odd\"", "名前 表", "counts"])
    assert sorted(v.name for v in target.views.values()) == ["big events", "view of view"]
    assert [m.name for m in target.materialized_views.values()] == ["to counts"]
    config = Config(clickhouse_config=ClickHouseConfig(url=url, db_name=database))
    with ClickHouseBackend.from_config(config) as backend:
        current = reconcile(None, backend.introspect(), target)
    assert same_state(current, target, CLICKHOUSE)
    assert_plan_empty(root, url, capsys)


def test_pulled_declarations_create_the_same_schema_elsewhere(
        clickhouse_server: RunningServer, client: ClickHouseClient, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The views name what they read (base_tables), so applying the pulled code to an empty database creates
    everything in a working order, and the result introspects as the original."""
    source, copy = "pull_source", "pull_copy"
    make_database(client, source)
    client.command(f"DROP TABLE `{source}`.`memory_t`")
    root = project(tmp_path, source)
    code, _out, err = cli(root, "db", "pull", "--clickhouse-url", f"{clickhouse_server.http_url}/{source}",
                          capsys=capsys)
    assert code == ExitCode.OK, err
    pulled = (root / "app" / "pulled.py").read_text()
    (root / "app" / "pulled.py").write_text(pulled.replace(f"{source}.", f"{copy}."))
    client.command(f"DROP DATABASE IF EXISTS `{copy}` SYNC")
    url = f"{clickhouse_server.http_url}/{copy}"
    code, _out, err = cli(root, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-all",
                          capsys=capsys)
    assert code == ExitCode.OK, err
    code, _out, err = cli(root, "migrate", "--clickhouse-url", url, capsys=capsys)
    assert code == ExitCode.OK, err
    with ClickHouseBackend.from_config(Config(clickhouse_config=ClickHouseConfig(url=url))) as backend:
        original = backend.introspect([source])
        created = backend.introspect([copy])
    assert len(created.tables) == len(original.tables) == 5
    assert len(created.views) == 2 and len(created.materialized_views) == 1
    assert_plan_empty(root, url, capsys)


def test_externally_managed_pull_declares_every_table_externally_managed(
        clickhouse_server: RunningServer, client: ClickHouseClient, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    database = "pull_external"
    make_database(client, database)
    url = f"{clickhouse_server.http_url}/{database}"
    root = project(tmp_path, database, main="from muskox import OlapTable  # the project's own code\n")
    code, _out, err = cli(root, "db", "pull", "--clickhouse-url", url, "--externally-managed", capsys=capsys)
    assert code == ExitCode.OK, err
    assert "life_cycle=LifeCycle.EXTERNALLY_MANAGED" in (root / "app" / "pulled.py").read_text()
    main = (root / "app" / "main.py").read_text().splitlines()
    assert main[0] == "from muskox import OlapTable  # the project's own code" and main[1].startswith(
        "import app.pulled  # noqa: F401")
    target = collect_project(root, default_database=database)
    assert {t.life_cycle for t in target.tables.values()} == {LifeCycle.EXTERNALLY_MANAGED}
    assert {m.life_cycle for m in target.materialized_views.values()} == {LifeCycle.EXTERNALLY_MANAGED}
    assert_plan_empty(root, url, capsys)
    # and a table changed by hand afterwards is left alone: nothing to apply
    client.command(f"ALTER TABLE `{database}`.`counts` ADD COLUMN `extra` String")
    code, out, err = cli(root, "plan", "--clickhouse-url", url, "--exit-code", capsys=capsys)
    assert code == ExitCode.OK, out + err


def test_pattern_other_database_and_overwrite_refusal(clickhouse_server: RunningServer, client: ClickHouseClient,
                                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database, other = "pull_main", "pull_other"
    client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    client.command(f"CREATE DATABASE `{database}`")
    make_database(client, other)
    url = f"{clickhouse_server.http_url}/{database}"
    root = project(tmp_path, database)
    (root / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                      f'additional_databases = ["{other}"]\n[state_config]\nstorage = "file"\n')
    code, out, err = cli(root, "db", "pull", "--clickhouse-url", url, "--database", other, "--tables", "e*",
                         "--output", "app/legacy/tables.py", capsys=capsys)
    assert code == ExitCode.OK, err
    assert "1 table, 0 views, 0 materialized views" in out
    written = (root / "app" / "legacy" / "tables.py").read_text()
    assert f"database={other!r}" in written and "'events'" in written
    assert_plan_empty(root, url, capsys)

    code, out, err = cli(root, "db", "pull", "--clickhouse-url", url, "--database", other, "--tables", "e*",
                         "--output", "app/legacy/tables.py", capsys=capsys)
    assert code == ExitCode.USAGE
    assert re.search(r"app/legacy/tables\.py already exists.*--force", err)
    assert (root / "app" / "legacy" / "tables.py").read_text() == written

    # --force rewrites it; the code's own declaration of it does not count as "already declared"
    code, out, err = cli(root, "db", "pull", "--clickhouse-url", url, "--database", other, "--tables", "*count*",
                         "--output", "app/legacy/tables.py", "--force", capsys=capsys)
    assert code == ExitCode.OK, err
    assert "1 table, 0 views, 0 materialized views" in out and "'counts'" in (
        root / "app" / "legacy" / "tables.py").read_text()
    assert "materialized view pull_other.to counts: not in the project's default database" in err
    main = (root / "app" / "main.py").read_text()
    assert main.count("import app.legacy.tables") == 1


def test_objects_the_code_declares_are_not_pulled_again(clickhouse_server: RunningServer, client: ClickHouseClient,
                                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = "pull_partial"
    client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    client.command(f"CREATE DATABASE `{database}`")
    client.command(f"CREATE TABLE `{database}`.`mine` (`id` String) ENGINE = MergeTree ORDER BY id")
    client.command(f"CREATE TABLE `{database}`.`theirs` (`id` String, `v` Float32) ENGINE = MergeTree ORDER BY id")
    url = f"{clickhouse_server.http_url}/{database}"
    root = project(tmp_path, database, main=(
        "from pydantic import BaseModel\nfrom muskox import Key, OlapConfig, OlapTable\n\n"
        "class Mine(BaseModel):\n    id: Key[str]\n\n"
        'mine = OlapTable[Mine]("mine", OlapConfig(order_by_fields=["id"]))\n'))
    code, _out, err = cli(root, "db", "pull", "--clickhouse-url", url, capsys=capsys)
    assert code == ExitCode.OK, err
    assert "left out table pull_partial.mine: already declared in the code" in err
    assert "'theirs'" in (root / "app" / "pulled.py").read_text()
    assert_plan_empty(root, url, capsys)


def _comparable(table: Table) -> Table:
    return attrs.evolve(CLICKHOUSE.normalize_table(table, default_database="db"), metadata=None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=st.lists(table_strategy(), min_size=1, max_size=4, unique_by=lambda t: t.name),
       database=st.sampled_from(("db", "other")), life_cycle=st.sampled_from(LifeCycle))
def test_pulled_modules_collect_back_to_the_tables(drawn: list[Table], database: str, life_cycle: LifeCycle) -> None:
    """Without a server: any tables (awkward names, every engine muskox declares, shared or distinct columns)
    written as a pulled module collect back to themselves, with the lifecycle asked for."""
    pulled = [attrs.evolve(t, database=database, life_cycle=LifeCycle.FULLY_MANAGED) for t in drawn]
    source = pull_source(PullSelection(tables=tuple(pulled), views=(), materialized_views=(), skipped=()),
                         CLICKHOUSE, database=database, default_database="db", life_cycle=life_cycle)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_pull(source, project_dir=root, output=root / "app" / "pulled.py", main=root / "app" / "main.py")
        found = collect_project(root, default_database="db").tables
    expected = {t.name: _comparable(attrs.evolve(t, life_cycle=life_cycle,
                                                 database=None if database == "db" else database))
                for t in pulled}
    assert {t.name: _comparable(t) for t in found.values()} == expected


def test_pull_reads_as_a_read_only_user_in_a_constant_number_of_queries(
        clickhouse_tls_server: TlsClickHouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, ca_cert = clickhouse_tls_server, str(clickhouse_tls_server.certificates.ca_cert)
    counts = []
    with connect(parse_url(server.server.native_url), use_database=False) as native:
        for tables in (2, 40):
            database = f"pull_reader_{tables}"
            native.command(f"DROP DATABASE IF EXISTS {database} SYNC")
            native.command(f"CREATE DATABASE {database}")
            for n in range(tables):
                native.command(f"CREATE TABLE {database}.t_{n} (id UInt64, v Nullable(String)) ENGINE = MergeTree "
                               "ORDER BY id")
            root = project(tmp_path / database, database)
            url = server.https_url(database, user=server.readonly_user, ca_cert=ca_cert)
            [(start,)] = native.select_rows("SELECT toString(now64(6))")
            code, out, err = cli(root, "db", "pull", "--clickhouse-url", url, capsys=capsys)
            [(end,)] = native.select_rows("SELECT toString(now64(6))")
            assert code == ExitCode.OK, err
            assert f"{tables} tables" in out
            native.command("SYSTEM FLUSH LOGS")
            rows = native.select_rows(
                "SELECT DISTINCT query_id FROM system.query_log WHERE is_initial_query "
                f"AND user = '{server.readonly_user}' AND query_start_time_microseconds "
                f"BETWEEN toDateTime64('{start}', 6) AND toDateTime64('{end}', 6)")
            counts.append(len(rows))
    assert 0 < counts[0] == counts[1], counts
