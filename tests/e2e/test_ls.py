"""``muskox ls`` against real servers: the objects muskox manages as they are now (the code reconciled with the
database and the state store), one table per type; ``--json`` matches the database; nothing is ever written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from muskox.cli.main import run
from muskox.config import ClickHouseConfig, Config
from muskox.exit_codes import ExitCode
from muskox.model.types import Nullable
from muskox.testing.kafka import KafkaBroker
from muskox_clickhouse import ClickHouseBackend, connect, parse_url
from muskox_clickhouse.client import ClickHouseClient
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from muskox_clickhouse.testing import TlsClickHouse

HEADER = """\
from datetime import datetime
from typing import Optional

from pydantic import BaseModel

from muskox import (Key, LifeCycle, MaterializedView, MaterializedViewOptions, OlapConfig, OlapTable,
                    ReplacingMergeTreeEngine, Stream, StreamConfig, UInt64, View, ViewConfig)


class Event(BaseModel):
    id: Key[str]
    ts: datetime
    kind: str
    note: Optional[str] = None


class KindCount(BaseModel):
    kind: Key[str]
    n: UInt64


events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id", "ts"], partition_by="toYYYYMM(ts)",
                                               ttl="ts + INTERVAL 30 DAY"))
users = OlapTable[Event]("users", OlapConfig(order_by_fields=["id"], engine=ReplacingMergeTreeEngine(ver="ts"),
                                             life_cycle=LifeCycle.DELETION_PROTECTED))
counts = OlapTable[KindCount]("kind_counts", OlapConfig(order_by_fields=["kind"]))
to_counts = MaterializedView[KindCount](MaterializedViewOptions(
    select_statement="SELECT kind, toUInt64(1) AS n FROM events", select_tables=[events],
    materialized_view_name="events_to_counts"), target_table=counts)
recent = View("recent_events", ViewConfig(select_statement="SELECT id, ts FROM events WHERE ts > now() - 3600",
                                          base_tables=[events]))
"""
LOGS = 'logs = OlapTable[Event]("logs", OlapConfig(order_by_fields=["id"], database="{other}"))\n'


class Project:
    def __init__(self, root: Path, database: str, url: str, capsys: pytest.CaptureFixture[str],
                 extra: str = "") -> None:
        self.root, self.database, self.url, self.capsys = root, database, url, capsys
        (root / "app").mkdir(parents=True, exist_ok=True)
        (root / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n{extra}'
                                          '[state_config]\nstorage = "clickhouse"\n')

    def code(self, body: str) -> None:
        (self.root / "app" / "main.py").write_text(body)

    def cli(self, *args: str) -> tuple[int, str, str]:
        code = run(["--project", str(self.root), *args, "--clickhouse-url", self.url])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, *args: str) -> str:
        code, out, err = self.cli(*args)
        assert code == ExitCode.OK, out + err
        return out

    def ls_json(self, *args: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.ok("ls", "--json", *args))
        return document


@pytest.fixture
def client(clickhouse_server: RunningServer) -> Iterator[ClickHouseClient]:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as sql:
        yield sql


def fresh(client: ClickHouseClient, *databases: str) -> None:
    for database in databases:
        client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def by_name(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in entries}


def test_ls_lists_what_is_managed_as_it_is_now(clickhouse_server: RunningServer, client: ClickHouseClient,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database, other = "ls_main", "ls_other"
    fresh(client, database, other)
    project = Project(tmp_path, database, f"{clickhouse_server.http_url}/{database}", capsys,
                      extra=f'additional_databases = ["{other}"]\n')
    project.code(HEADER.replace("Stream, StreamConfig, ", "") + LOGS.format(other=other))
    project.ok("generate", "migration", "--save", "--yes-all")
    project.ok("migrate")

    document = project.ls_json()
    assert document["schema_version"] == 1 and document["default_database"] == database
    tables = by_name(document["tables"])
    assert sorted(tables) == ["events", "kind_counts", f"{other}.logs", "users"]
    assert {e["status"] for e in tables.values()} == {"in sync"}
    assert tables["users"]["life_cycle"] == "DELETION_PROTECTED"
    assert tables["users"]["engine"].startswith("ReplacingMergeTree")
    assert tables["events"]["order_by"] == ["id", "ts"] and tables["events"]["partition_by"] == "toYYYYMM(ts)"
    assert tables[f"{other}.logs"]["database"] == other
    assert [v["name"] for v in document["views"]] == ["recent_events"]
    [view] = document["materialized_views"]
    assert view["name"] == "events_to_counts" and view["target"] == "kind_counts"
    assert document["streams"] == [] and document["dictionaries"] == []

    # the columns and their types are the database's
    config = Config(clickhouse_config=ClickHouseConfig(url=project.url, db_name=database,
                                                       additional_databases=[other]))
    with ClickHouseBackend.from_config(config) as backend:
        reality = backend.introspect()
    for table in reality.tables.values():
        name = table.name if table.database == database else f"{table.database}.{table.name}"
        listed = [(c["name"], c["type"]) for c in tables[name]["columns"]]
        assert listed == [(c.name, CLICKHOUSE.render_type(Nullable(c.data_type) if c.nullable else c.data_type))
                          for c in table.columns]
    assert dict(listed)["note"] == "Nullable(String)"

    # the code moves on: a column added, a table declared, one removed (the state store still knows it)
    changed = (HEADER.replace("Stream, StreamConfig, ", "")
               .replace("    note: Optional[str] = None\n", "    note: Optional[str] = None\n    country: str = ''\n")
               + 'audit = OlapTable[KindCount]("audit", OlapConfig(order_by_fields=["kind"]))\n')
    project.code(changed)
    tables = by_name(project.ls_json("--type", "tables")["tables"])
    assert {name: e["status"] for name, e in tables.items()} == {
        "audit": "not created", "events": "differs from code", "kind_counts": "in sync",
        f"{other}.logs": "not in code", "users": "differs from code"}
    assert "country" not in [c["name"] for c in tables["events"]["columns"]]  # as the database has it now

    filtered = project.ls_json("--type", "tables", "--type", "views", "--name", "EVENT")
    assert sorted(filtered) == ["default_database", "schema_version", "tables", "views"]
    assert [t["name"] for t in filtered["tables"]] == ["events"]
    assert [v["name"] for v in filtered["views"]] == ["recent_events"]

    text = project.ok("ls")
    assert text.startswith("Tables (5)\n  name ")
    assert f"  {other}.logs " in text and "not in code" in text
    assert "Materialized views (1)" in text and "Views (1)" in text and "Streams" not in text
    assert "order by id, ts; partition by toYYYYMM(ts)" in text
    assert "DELETION_PROTECTED" in text and "note: Nullable(String)" in text
    assert project.ok("ls", "--type", "streams") == "Streams (0)\n  (none)\n"
    assert project.ok("ls", "--name", "no such thing") == "Nothing matches.\n"


def test_ls_writes_nothing(clickhouse_server: RunningServer, client: ClickHouseClient, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """On a server that has never seen the project: every declared table is "not created", and neither the
    database nor the KeeperMap state table exists afterwards (the command's own log under .muskox/logs is not
    part of the project's state)."""
    database = "ls_untouched"
    fresh(client, database)
    project = Project(tmp_path, database, f"{clickhouse_server.http_url}/{database}", capsys)
    project.code(HEADER.replace("Stream, StreamConfig, ", ""))
    document = project.ls_json()
    assert {t["name"]: t["status"] for t in document["tables"]} == {
        "events": "not created", "kind_counts": "not created", "users": "not created"}
    assert [v["status"] for v in document["views"]] == ["not created"]
    project.ok("ls")
    assert client.select_rows(f"SELECT count() FROM system.databases WHERE name = '{database}'") == [(0,)]
    assert not (tmp_path / ".muskox" / "state").exists() and not (tmp_path / "migrations").exists()


def test_ls_lists_streams_with_partitions_and_retention(
        clickhouse_server: RunningServer, kafka_broker: KafkaBroker, client: ClickHouseClient, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    database = "ls_streams"
    fresh(client, database)
    project = Project(tmp_path, database, f"{clickhouse_server.http_url}/{database}", capsys,
                      extra='[redpanda_config]\nnamespace = "ls_ns"\n')
    project.code(HEADER + 'events_stream = Stream[Event]("events", StreamConfig(parallelism=2, '
                          'retention_period=7200, life_cycle=LifeCycle.DELETION_PROTECTED))\n'
                          'later_stream = Stream[Event]("later", StreamConfig())\n')
    for args in (("generate", "migration", "--save", "--yes-all"), ("migrate",)):
        project.ok(*args, "--kafka-url", kafka_broker.kafka_url)
    (project.root / "app" / "main.py").write_text(
        (project.root / "app" / "main.py").read_text() + 'new_stream = Stream[Event]("new", StreamConfig())\n')
    document = project.ls_json("--type", "streams", "--kafka-url", kafka_broker.kafka_url)
    streams = by_name(document["streams"])
    assert streams["ls_ns.events"]["partitions"] == 2 and streams["ls_ns.events"]["retention_ms"] == 7_200_000
    assert streams["ls_ns.events"]["life_cycle"] == "DELETION_PROTECTED"
    assert {name: s["status"] for name, s in streams.items()} == {
        "ls_ns.events": "in sync", "ls_ns.later": "in sync", "ls_ns.new": "not created"}
    text = project.ok("ls", "--type", "streams", "--kafka-url", kafka_broker.kafka_url)
    assert "ls_ns.events  2           2h         DELETION_PROTECTED" in text


def test_ls_runs_as_a_read_only_user_in_a_constant_number_of_queries(
        clickhouse_tls_server: TlsClickHouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As a ``readonly = 1`` user over HTTPS, ``ls`` works, and a database of 30 tables costs it as many queries
    as one of 3 (none of them DDL)."""
    server, ca_cert = clickhouse_tls_server, str(clickhouse_tls_server.certificates.ca_cert)
    counts = []
    for tables in (3, 30):
        database = f"ls_reader_{tables}"
        body = HEADER.replace("Stream, StreamConfig, ", "") + "".join(
            f'extra_{n} = OlapTable[KindCount]("extra_{n}", OlapConfig(order_by_fields=["kind"]))\n'
            for n in range(tables - 3))
        writer = Project(tmp_path / database, database, f"{server.server.http_url}/{database}", capsys)
        writer.code(body)
        writer.ok("generate", "migration", "--save", "--yes-all")
        writer.ok("migrate")
        reader = Project(tmp_path / database, database, server.https_url(database, user=server.readonly_user,
                                                                        ca_cert=ca_cert), capsys)
        with connect(parse_url(server.server.native_url), use_database=False) as native:
            [(start,)] = native.select_rows("SELECT toString(now64(6))")
            document = reader.ls_json("--type", "tables")
            [(end,)] = native.select_rows("SELECT toString(now64(6))")
            native.command("SYSTEM FLUSH LOGS")
            rows = native.select_rows(
                "SELECT DISTINCT query_id, query FROM system.query_log WHERE is_initial_query "
                f"AND user = '{server.readonly_user}' AND query_start_time_microseconds "
                f"BETWEEN toDateTime64('{start}', 6) AND toDateTime64('{end}', 6)")
        assert len(document["tables"]) == tables
        assert {t["status"] for t in document["tables"]} == {"in sync"}
        assert not [q for _, q in rows if str(q).lstrip().upper().startswith(("CREATE", "INSERT", "ALTER", "DROP"))]
        counts.append(len(rows))
    assert 0 < counts[0] == counts[1], counts


DICTIONARIES = """\
from pydantic import BaseModel

from muskox import (DictionaryLifetime, FlatLayout, HashedLayout, Key, MysqlSource, OlapConfig, OlapDictionary,
                    OlapDictionaryConfig, OlapTable, UInt64)


class Country(BaseModel):
    code: Key[UInt64]
    name: str


countries = OlapTable[Country]("countries", OlapConfig(order_by_fields=["code"]))
country_dict = OlapDictionary[Country]("dict_countries", OlapDictionaryConfig(
    source_table=countries, primary_key=["code"], layout=FlatLayout(), lifetime=300))
account_dict = OlapDictionary[Country]("dict_accounts", OlapDictionaryConfig(
    external_source=MysqlSource(host="mysql.internal", user="reader", password="ls-secret-password", db="crm",
                                table="accounts"),
    primary_key=["code"], layout=HashedLayout(), lifetime=DictionaryLifetime(min=60, max=120)))
"""


def test_ls_lists_dictionaries_with_layout_source_lifetime_and_status(
        clickhouse_server: RunningServer, client: ClickHouseClient, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Dictionaries are managed objects: listed with layout, source (password masked), lifetime, lifecycle and
    their status against the code, in the text and the JSON listing."""
    database = "ls_dicts"
    fresh(client, database)
    project = Project(tmp_path, database, f"{clickhouse_server.http_url}/{database}", capsys)
    project.code(DICTIONARIES)
    assert {d["name"]: d["status"] for d in project.ls_json("--type", "dictionaries")["dictionaries"]} == {
        "dict_accounts": "not created", "dict_countries": "not created"}
    project.ok("generate", "migration", "--save", "--yes-all")
    project.ok("migrate")

    dictionaries = by_name(project.ls_json("--type", "dictionaries")["dictionaries"])
    assert {name: d["status"] for name, d in dictionaries.items()} == {
        "dict_accounts": "in sync", "dict_countries": "in sync"}
    countries = dictionaries["dict_countries"]
    assert countries["database"] == database and countries["dictionary"] == "dict_countries"
    assert countries["layout"] == "FLAT" and countries["lifetime"] == "300s"
    assert countries["source"] == f"table {database}.countries" and countries["primary_key"] == ["code"]
    assert countries["life_cycle"] == "FULLY_MANAGED"
    accounts = dictionaries["dict_accounts"]
    assert accounts["layout"] == "HASHED" and accounts["lifetime"] == "60-120s"
    assert accounts["source"].startswith("mysql(") and "password=[HIDDEN]" in accounts["source"]

    # changed in the code: it differs; removed from the code: not in code
    project.code(DICTIONARIES.replace("lifetime=300", "lifetime=600").split("account_dict =")[0])
    dictionaries = by_name(project.ls_json("--type", "dictionaries")["dictionaries"])
    assert {name: d["status"] for name, d in dictionaries.items()} == {
        "dict_accounts": "not in code", "dict_countries": "differs from code"}

    text = project.ok("ls", "--type", "dictionaries")
    assert text.startswith("Dictionaries (2)\n  name ")
    assert "layout" in text and "lifetime" in text and "differs from code" in text and "not in code" in text
    output = project.ok("ls") + json.dumps(project.ls_json())
    assert "ls-secret-password" not in output
    for written in tmp_path.rglob("*"):
        if written.is_file() and written.suffix in (".yaml", ".json", ".jsonl", ".log"):
            assert "ls-secret-password" not in written.read_text(errors="replace"), written


def _own_process(project: Project, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """``muskox`` in a process of its own (one thread when the schema is read: it forks, :mod:`muskox.forked`)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project.root), *args,
                           "--clickhouse-url", url or project.url], env=environment, capture_output=True, text=True,
                          timeout=300, check=False)


def test_ls_in_its_own_process_reads_the_schema_in_a_child_and_logs_as_one_command(
        clickhouse_server: RunningServer, client: ClickHouseClient, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The listing of a process that reads the schema in a forked child equals the in-process one; the child's
    connection records reach the command log under the command's own pid."""
    database = "ls_forked"
    fresh(client, database)
    project = Project(tmp_path, database, f"{clickhouse_server.http_url}/{database}", capsys)
    project.code(HEADER.replace("Stream, StreamConfig, ", ""))
    project.ok("generate", "migration", "--save", "--yes-all")
    project.ok("migrate")
    shutil.rmtree(tmp_path / ".muskox" / "logs")
    done = _own_process(project, "ls", "--json")
    assert done.returncode == ExitCode.OK, done.stderr
    records = [json.loads(line) for path in sorted((tmp_path / ".muskox" / "logs").iterdir())
               for line in path.read_text().splitlines()]
    assert len({r["pid"] for r in records}) == 1  # written by the command's process only, never by the child
    assert [records[0]["event"], records[-1]["event"], records[-1]["exit_code"]] == ["command", "end", 0]
    assert records[0]["server"].endswith(f"127.0.0.1:{clickhouse_server.http_port}/{database}")
    assert json.loads(done.stdout) == project.ls_json()


def test_ls_in_its_own_process_names_a_refused_server_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from muskox.testing.processes import free_port

    project = Project(tmp_path, "nowhere", f"http://127.0.0.1:{free_port()}/nowhere", capsys)
    project.code(HEADER.replace("Stream, StreamConfig, ", ""))
    done = _own_process(project, "ls")
    assert done.returncode == ExitCode.CONNECTION, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "127.0.0.1" in lines[0], lines
