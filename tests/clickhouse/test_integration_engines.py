"""Tables with integration engines (Kafka, S3Queue, S3, Buffer, Distributed, IcebergS3, Merge) are planned and
applied like any other: their SQL, what the server reports back, the compared form, credentials hidden in files
and messages and restored from the code when an operation runs, and the changes that recreate them."""

from __future__ import annotations

import attrs
import pytest

from muskox.apply.secrets import MissingSecret, restore_secrets
from muskox.model import Column, Table
from muskox.model.codec import model_codec
from muskox.model.engines import HIDDEN, IntegrationEngine
from muskox.model.infra_map import InfraMap
from muskox.model.operations import CreateTable
from muskox.model.types import Simple
from muskox.plan.changes import Recreated
from muskox.plan.differ import diff
from muskox_clickhouse.alter import planned_statements
from muskox_clickhouse.create_parser import parse_engine
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dialect.engine_sql import render_engine

ENGINES = {
    "Kafka": IntegrationEngine(name="Kafka", fields=(("broker_list", "kafka:9092"), ("topic_list", "clicks"),
                                                     ("group_name", "g"), ("format", "JSONEachRow"))),
    "S3Queue": IntegrationEngine(name="S3Queue", fields=(
        ("s3_path", "s3://b/*.json"), ("format", "JSONEachRow"), ("aws_access_key_id", "AKIA"),
        ("aws_secret_access_key", "s3cr3t"), ("compression", None), ("headers", None))),
    "S3": IntegrationEngine(name="S3", fields=(
        ("path", "s3://b/a.parquet"), ("format", "Parquet"), ("aws_access_key_id", None),
        ("aws_secret_access_key", None), ("compression", "zstd"))),
    "Buffer": IntegrationEngine(name="Buffer", fields=(
        ("target_database", "db"), ("target_table", "t"), ("num_layers", 16), ("min_time", 10), ("max_time", 100),
        ("min_rows", 10000), ("max_rows", 1000000), ("min_bytes", 10000000), ("max_bytes", 100000000),
        ("flush_time", 5), ("flush_rows", None), ("flush_bytes", None))),
    "Distributed": IntegrationEngine(name="Distributed", fields=(
        ("cluster", "c"), ("target_database", "db"), ("target_table", "t"), ("sharding_key", "cityHash64(id)"),
        ("policy_name", None))),
    "IcebergS3": IntegrationEngine(name="IcebergS3", fields=(("path", "s3://w/t/"), ("format", "Parquet"))),
    "Merge": IntegrationEngine(name="Merge", fields=(("source_database", "db"), ("tables_regexp", "^clicks"))),
}


def table(engine: IntegrationEngine, *, settings: dict[str, str] | None = None, columns: int = 2) -> Table:
    names = ["id", "url", "at"][:columns]
    return Table(name="t", columns=tuple(Column(name=n, data_type=Simple("String")) for n in names), engine=engine,
                 settings=settings or {})


def compared(t: Table) -> Table:
    return CLICKHOUSE.normalize_table(t, default_database="db")


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_the_sql_reads_back_to_the_same_engine(name: str) -> None:
    engine = ENGINES[name]
    sql = render_engine(engine)
    assert sql.startswith(f"{name}(")
    arguments = sql[len(name) + 1:-1]
    parsed = parse_engine(name, arguments)
    assert isinstance(parsed, IntegrationEngine)
    assert compared(table(parsed)) == compared(table(engine))


def test_what_the_server_reports_compares_equal_to_the_code() -> None:
    """Strings copied from ClickHouse 26.9's engine_full: it hides the secret key and evaluates currentDatabase()."""
    code_s3 = IntegrationEngine(name="S3", fields=(("path", "s3://d/c.parquet"), ("format", "Parquet"),
                                                   ("aws_access_key_id", "AK"), ("aws_secret_access_key", "SK")))
    server_s3 = parse_engine("S3", "'s3://d/c.parquet', 'AK', '[HIDDEN]', 'Parquet'")
    assert isinstance(server_s3, IntegrationEngine)
    assert compared(table(server_s3)) == compared(table(code_s3))
    code_merge = IntegrationEngine(name="Merge", fields=(("source_database", "currentDatabase()"),
                                                         ("tables_regexp", "^clicks")))
    server_merge = parse_engine("Merge", "'db', '^clicks'")
    assert isinstance(server_merge, IntegrationEngine)
    assert compared(table(server_merge)) == compared(table(code_merge))
    kafka = table(ENGINES["Kafka"], settings={"kafka_num_consumers": "2", "kafka_sasl_password": "pw"})
    server_kafka = table(ENGINES["Kafka"], settings={"kafka_num_consumers": "2", "kafka_sasl_password": HIDDEN})
    assert compared(kafka) == compared(server_kafka)


def test_files_hold_no_credential_and_read_back() -> None:
    codec = model_codec(CLICKHOUSE)
    t = table(ENGINES["S3Queue"], settings={"mode": "unordered", "s3queue_secret_access_key": "x"})
    encoded = codec.unstructure_table(t)
    assert encoded["engine"]["S3Queue"]["aws_secret_access_key"] == HIDDEN
    assert encoded["engine"]["S3Queue"]["aws_access_key_id"] == HIDDEN
    assert encoded["table_settings"] == {"mode": "unordered", "s3queue_secret_access_key": HIDDEN}
    read = codec.structure_table(encoded)
    assert read.engine == ENGINES["S3Queue"].masked()
    assert compared(read) == compared(t)


def test_plan_sql_and_messages_hide_credentials() -> None:
    t = table(ENGINES["S3Queue"], settings={"kafka_sasl_password": "pw"})
    text = "\n".join(s.sql for s in planned_statements(CreateTable(table=t), "db"))
    assert "s3cr3t" not in text and "AKIA" not in text and "'pw'" not in text
    assert "S3Queue('s3://b/*.json', '[HIDDEN]', '[HIDDEN]', 'JSONEachRow')" in text
    assert "s3cr3t" not in CLICKHOUSE.render_engine(ENGINES["S3Queue"])


def test_credentials_come_back_from_the_code_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    code_engine = attrs.evolve(ENGINES["S3Queue"], fields=(
        *((k, v) for k, v in ENGINES["S3Queue"].fields if k != "aws_access_key_id"),
        ("aws_access_key_id", "__MOOSE_RUNTIME_ENV__:KEY_ID")))
    code = InfraMap.of("db", tables=[table(code_engine, settings={"kafka_sasl_password": "pw"})])
    from_file = CreateTable(table=table(ENGINES["S3Queue"].masked(), settings={"kafka_sasl_password": HIDDEN}))
    monkeypatch.setenv("KEY_ID", "AKIA-ENV")
    restored = restore_secrets(from_file, lambda: code)
    assert isinstance(restored, CreateTable)
    assert restored.table.engine.field("aws_access_key_id") == "AKIA-ENV"  # type: ignore[union-attr]
    assert restored.table.engine.field("aws_secret_access_key") == "s3cr3t"  # type: ignore[union-attr]
    assert restored.table.settings == {"kafka_sasl_password": "pw"}
    monkeypatch.delenv("KEY_ID")
    with pytest.raises(MissingSecret, match="KEY_ID"):
        restore_secrets(from_file, lambda: code)
    with pytest.raises(MissingSecret, match="HIDDEN"):
        restore_secrets(from_file, lambda: InfraMap.of("db"))
    plain = CreateTable(table=table(ENGINES["Buffer"]))
    assert restore_secrets(plain, lambda: pytest.fail("the code is not needed")) is plain


@pytest.mark.parametrize(("name", "change"), [
    ("Kafka", lambda t: attrs.evolve(t, columns=t.columns[:1])),
    ("S3Queue", lambda t: attrs.evolve(t, settings={"mode": "ordered"})),
    ("S3", lambda t: attrs.evolve(t, columns=t.columns[:1])),
    ("Buffer", lambda t: attrs.evolve(t, engine=attrs.evolve(t.engine, fields=(
        *((k, v) for k, v in t.engine.fields if k != "max_rows"), ("max_rows", 5))))),
    ("Merge", lambda t: attrs.evolve(t, engine=attrs.evolve(t.engine, fields=(
        ("source_database", "db"), ("tables_regexp", "^other"))))),
])
def test_what_clickhouse_cannot_alter_is_a_recreate(name: str, change: object) -> None:
    before = table(ENGINES[name])
    after = change(before)  # type: ignore[operator]
    changes = diff(InfraMap.of("db", tables=[before]), InfraMap.of("db", tables=[after]), CLICKHOUSE)
    assert len(changes) == 1 and isinstance(changes[0], Recreated), changes


def test_a_column_added_to_a_buffer_table_is_an_alter() -> None:
    before, after = table(ENGINES["Buffer"]), table(ENGINES["Buffer"], columns=3)
    changes = diff(InfraMap.of("db", tables=[before]), InfraMap.of("db", tables=[after]), CLICKHOUSE)
    assert len(changes) == 1 and not isinstance(changes[0], Recreated)
