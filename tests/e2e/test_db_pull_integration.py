"""``muskox db pull`` of tables with integration engines, on the embedded server: the declarations name the
engine class with its parameters, credentials the server hides become ``moose_runtime_env.get(...)``
placeholders (never invented values), and the next ``plan`` is empty.

What the embedded server can create is covered here: S3 (with and without credentials), Merge and Buffer.
Distributed needs a cluster the embedded server has not got; Kafka, S3Queue and IcebergS3 tables fail to create
on it (they reach for their broker or bucket), so they are covered by the unit tests of the writer only."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from muskox.declare.collect import collect_project
from muskox.exit_codes import ExitCode
from muskox.files.pull import PullSelection, pull_source, write_pull
from muskox.model.engines import IntegrationEngine
from muskox.model.table import Column, LifeCycle, Table
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from tests.e2e.test_db_pull import assert_plan_empty, cli, project

SCHEMA = [
    "CREATE TABLE {db}.`events` (`id` UInt64, `kind` String) ENGINE = MergeTree ORDER BY id",
    "CREATE TABLE {db}.`events_copy` (`id` UInt64, `kind` String) ENGINE = MergeTree ORDER BY id",
    "CREATE TABLE {db}.`s3_plain` (`id` UInt64, `kind` String) "
    "ENGINE = S3('http://127.0.0.1:9/bucket/plain.csv', 'CSV')",
    "CREATE TABLE {db}.`s3 keyed` (`id` UInt64, `kind` String) "
    "ENGINE = S3('http://127.0.0.1:9/bucket/data.parquet', 'AKIAEXAMPLE', 'real-secret-never-written', 'Parquet', "
    "'gzip')",
    "CREATE TABLE {db}.`all_events` (`id` UInt64, `kind` String) ENGINE = Merge({db_literal}, '^events')",
    "CREATE TABLE {db}.`events_buffer` (`id` UInt64, `kind` String) "
    "ENGINE = Buffer({db_literal}, 'events', 1, 10, 100, 1000, 10000, 100000, 1000000)",
]


@pytest.fixture
def client(clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as sql:
        yield sql


def test_pull_of_integration_engine_tables_plans_nothing(clickhouse_server: RunningServer, client: ClickHouseClient,
                                                         tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = "pull_integration"
    client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    client.command(f"CREATE DATABASE `{database}`")
    for statement in SCHEMA:
        client.command(statement.format(db=f"`{database}`", db_literal=f"'{database}'"))
    url = f"{clickhouse_server.http_url}/{database}"
    root = project(tmp_path, database)

    code, out, err = cli(root, "db", "pull", "--clickhouse-url", url, capsys=capsys)
    assert code == ExitCode.OK, err
    assert "6 tables" in out, out + err
    pulled = (root / "app" / "pulled.py").read_text()
    assert "real-secret-never-written" not in pulled and "AKIAEXAMPLE" not in pulled
    assert "S3Engine(" in pulled and "MergeEngine(" in pulled and "BufferEngine(" in pulled, pulled
    assert "moose_runtime_env.get('PULL_INTEGRATION_S3_KEYED_AWS_SECRET_ACCESS_KEY')" in pulled, pulled
    assert "moose_runtime_env.get('PULL_INTEGRATION_S3_KEYED_AWS_ACCESS_KEY_ID')" in pulled, pulled

    target = collect_project(root, default_database=database)
    engines = {t.name: t.engine for t in target.tables.values()}
    assert {name: e.name for name, e in engines.items() if isinstance(e, IntegrationEngine)} == {
        "s3_plain": "S3", "s3 keyed": "S3", "all_events": "Merge", "events_buffer": "Buffer"}
    assert_plan_empty(root, url, capsys)


def _table(name: str, engine: IntegrationEngine, settings: dict[str, str] | None = None) -> Table:
    columns = (Column(name="id", data_type=CLICKHOUSE.parse_type("UInt64")),
               Column(name="kind", data_type=CLICKHOUSE.parse_type("String")))
    return Table(name=name, columns=columns, engine=engine, settings=settings or {})


WRITER_ONLY = [
    _table("from_kafka", IntegrationEngine(name="Kafka", fields=(
        ("broker_list", "kafka:9092"), ("topic_list", "events"), ("group_name", "g"), ("format", "JSONEachRow"))),
        {"kafka_sasl_password": "[HIDDEN]", "kafka_num_consumers": "2"}),
    _table("from_queue", IntegrationEngine(name="S3Queue", fields=(
        ("s3_path", "s3://bucket/*.json"), ("format", "JSONEachRow"), ("aws_access_key_id", "[HIDDEN]"),
        ("aws_secret_access_key", "[HIDDEN]"), ("compression", None), ("headers", (("X-Team", "data"),)))),
        {"mode": "ordered"}),
    _table("lake", IntegrationEngine(name="IcebergS3", fields=(
        ("path", "s3://bucket/lake/"), ("format", "Parquet"), ("aws_access_key_id", None),
        ("aws_secret_access_key", None), ("compression", None)))),
    _table("spread", IntegrationEngine(name="Distributed", fields=(
        ("cluster", "c1"), ("target_database", "db"), ("target_table", "events"), ("sharding_key", "rand()"),
        ("policy_name", None)))),
]


def test_pulled_integration_engines_collect_back_without_a_server() -> None:
    """Engines the embedded server cannot create: the module written collects back to the same tables (compared
    as plans compare them: credentials masked), with a placeholder for every credential."""
    source = pull_source(PullSelection(tables=tuple(WRITER_ONLY), views=(), materialized_views=(), skipped=()),
                         CLICKHOUSE, database="db", default_database="db", life_cycle=LifeCycle.FULLY_MANAGED)
    assert "[HIDDEN]" not in source
    assert "kafka_sasl_password': moose_runtime_env.get('DB_FROM_KAFKA_KAFKA_SASL_PASSWORD')" in source, source
    assert "aws_secret_access_key=moose_runtime_env.get('DB_FROM_QUEUE_AWS_SECRET_ACCESS_KEY')" in source, source
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_pull(source, project_dir=root, output=root / "app" / "pulled.py", main=root / "app" / "main.py")
        found = collect_project(root, default_database="db").tables

    def comparable(table: Table) -> Table:
        return attrs.evolve(CLICKHOUSE.normalize_table(table, default_database="db"), metadata=None)

    assert {t.name: comparable(t) for t in found.values()} == {t.name: comparable(t) for t in WRITER_ONLY}


DICTIONARIES = [
    "CREATE TABLE {db}.`countries` (`code` UInt64, `name` String, `parent` UInt64) ENGINE = MergeTree ORDER BY code",
    "CREATE DICTIONARY {db}.`dict_countries` (`code` UInt64, `name` String DEFAULT 'unknown' INJECTIVE, "
    "`parent` UInt64 HIERARCHICAL) PRIMARY KEY code SOURCE(CLICKHOUSE(DB {db_literal} TABLE 'countries')) "
    "LIFETIME(MIN 10 MAX 15) LAYOUT(HASHED()) COMMENT 'by code'",
    "CREATE DICTIONARY {db}.`dict_upper` (`code` UInt64, `name` String) PRIMARY KEY code "
    "SOURCE(CLICKHOUSE(QUERY 'SELECT code, upper(name) AS name FROM countries')) LIFETIME(300) LAYOUT(FLAT())",
    "CREATE DICTIONARY {db}.`dict_accounts` (`account_id` UInt64, `owner` String) PRIMARY KEY account_id "
    "SOURCE(MYSQL(HOST 'mysql.internal' PORT 3306 USER 'reader' PASSWORD 'mysql-pull-secret' DB 'crm' "
    "TABLE 'accounts')) LIFETIME(MIN 60 MAX 120) LAYOUT(COMPLEX_KEY_HASHED())",
    "CREATE DICTIONARY {db}.`dict_nullable` (`code` UInt64, `name` Nullable(String)) PRIMARY KEY code "
    "SOURCE(CLICKHOUSE(DB {db_literal} TABLE 'countries')) LIFETIME(60) LAYOUT(FLAT())",
    "CREATE DICTIONARY {db}.`dict_invalidated` (`code` UInt64, `name` String) PRIMARY KEY code "
    "SOURCE(CLICKHOUSE(DB {db_literal} TABLE 'countries' INVALIDATE_QUERY 'SELECT 1')) LIFETIME(60) LAYOUT(FLAT())",
]


def test_pull_of_dictionaries_plans_nothing(clickhouse_server: RunningServer, client: ClickHouseClient,
                                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Dictionaries over a pulled table, a query and an external database are declared (the password as a
    placeholder, never its value); one with an INVALIDATE_QUERY and one with a Nullable column, which the
    declaration API cannot say, are left out with a warning naming them; the next plan is empty."""
    database = "pull_dictionaries"
    client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    client.command(f"CREATE DATABASE `{database}`")
    for statement in DICTIONARIES:
        client.command(statement.format(db=f"`{database}`", db_literal=f"'{database}'"))
    url = f"{clickhouse_server.http_url}/{database}"
    root = project(tmp_path, database)

    code, out, err = cli(root, "db", "pull", "--clickhouse-url", url, capsys=capsys)
    assert code == ExitCode.OK, err
    assert "1 table, 0 views, 0 materialized views, 3 dictionaries" in out, out + err
    assert f"left out dictionary {database}.dict_invalidated: its INVALIDATE_QUERY" in err, err
    assert f"left out dictionary {database}.dict_nullable: its column name is Nullable" in err, err
    pulled = (root / "app" / "pulled.py").read_text()
    assert "mysql-pull-secret" not in pulled
    assert "password=moose_runtime_env.get('PULL_DICTIONARIES_DICT_ACCOUNTS_PASSWORD')" in pulled, pulled
    assert "source_table=countries" in pulled and "ComplexKeyHashedLayout()" in pulled, pulled

    target = collect_project(root, default_database=database)
    assert sorted(d.name for d in target.dictionaries.values()) == ["dict_accounts", "dict_countries", "dict_upper"]
    # the dictionary left out is not managed (not declared, not in the state store): the plan leaves it
    assert_plan_empty(root, url, capsys)
