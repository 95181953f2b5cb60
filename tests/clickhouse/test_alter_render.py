"""The SQL of every operation (no server): exact statements, quoting, ON CLUSTER, defaults, masking."""

from __future__ import annotations

import attrs
import pytest

from muskox.errors import PlanInvalid
from muskox.model import Column, MergeTree, Table, TableIndex, TableProjection
from muskox.model.dictionary import Dictionary
from muskox.model.operations import (
    BUILTIN_OPERATIONS,
    AddTableColumn,
    AddTableConstraint,
    AddTableIndex,
    AddTableProjection,
    CreateDictionary,
    CreateMaterializedView,
    CreateSqlResource,
    CreateTable,
    CreateView,
    DropDictionary,
    DropMaterializedView,
    DropSqlResource,
    DropTable,
    DropTableColumn,
    DropTableConstraint,
    DropTableIndex,
    DropTableProjection,
    DropView,
    ModifySampleBy,
    ModifyTableColumn,
    ModifyTableSettings,
    ModifyTableTtl,
    Operation,
    RawSql,
    RecreateTableWithCopy,
    RemoveSampleBy,
    RenameTableColumn,
    ReplaceDictionary,
    TableOperation,
)
from muskox.model.sql_resource import SqlResource
from muskox.model.table import TableConstraint
from muskox.model.types import Simple
from muskox_clickhouse.alter import Statement, UnsupportedOperation, alter_target, render_operation, render_statements
from muskox_clickhouse.apply import kill_mutation_statement
from muskox_clickhouse.sql_masking import mask_sql

DB = "app"


def col(name: str, type_name: str = "String", **options: object) -> Column:
    return Column(name=name, data_type=Simple(type_name), **options)  # type: ignore[arg-type]


EVENTS = Table(name="events", columns=(col("id", "UInt64"), col("name")), order_by=("id",), engine=MergeTree())

_DICT = Dictionary.from_encoding({"name": "d", "source": {"type": "TABLE", "table": "events"}, "primaryKey": ["id"],
                                  "columns": [{"name": "id", "typeString": "UInt64"}], "layout": {"type": "FLAT"},
                                  "lifetime": {"type": "STATIC"}})

_RESOURCE = SqlResource(name="r", setup=("CREATE VIEW v AS SELECT 1", "SELECT 2"), teardown=("DROP VIEW IF EXISTS v",))

CASES: list[tuple[str, Operation, list[str]]] = [
    ("create-table", CreateTable(table=EVENTS),
     ["CREATE TABLE IF NOT EXISTS `app`.`events` (`id` UInt64, `name` String) ENGINE = MergeTree ORDER BY (`id`)"]),
    ("create-table-db-cluster", CreateTable(table=attrs.evolve(EVENTS, database="other", cluster="c1")),
     ["CREATE TABLE IF NOT EXISTS `other`.`events` ON CLUSTER `c1` (`id` UInt64, `name` String) ENGINE = MergeTree "
      "ORDER BY (`id`)"]),
    ("drop-table", DropTable(table="events"), ["DROP TABLE IF EXISTS `app`.`events`"]),
    ("drop-table-cluster", DropTable(table="events", database="other", cluster_name="c1"),
     ["DROP TABLE IF EXISTS `other`.`events` ON CLUSTER `c1` SYNC"]),
    ("add-column-first", AddTableColumn(table="events", column=col("referrer", nullable=True)),
     ["ALTER TABLE `app`.`events` ADD COLUMN `referrer` Nullable(String) FIRST"]),
    ("add-column-after-all-options", AddTableColumn(
        table="events", after_column="id", cluster_name="c1",
        column=col("ts", "DateTime", default="now()", comment="when", codec="Delta, ZSTD(1)",
                   ttl="ts + INTERVAL 1 DAY")),
     ["ALTER TABLE `app`.`events` ON CLUSTER `c1` ADD COLUMN `ts` DateTime DEFAULT now() COMMENT 'when' "
      "CODEC(Delta, ZSTD(1)) TTL ts + INTERVAL 1 DAY AFTER `id`"]),
    ("add-column-materialized", AddTableColumn(table="events", after_column="name",
                                               column=col("n", "UInt64", materialized="length(name)")),
     ["ALTER TABLE `app`.`events` ADD COLUMN `n` UInt64 MATERIALIZED length(name) AFTER `name`"]),
    ("add-column-alias", AddTableColumn(table="events", after_column="name",
                                        column=col("upper", alias="upper(name)")),
     ["ALTER TABLE `app`.`events` ADD COLUMN `upper` String ALIAS upper(name) AFTER `name`"]),
    ("drop-column", DropTableColumn(table="events", column_name="name", database="other"),
     ["ALTER TABLE `other`.`events` DROP COLUMN IF EXISTS `name`"]),
    ("rename-column", RenameTableColumn(table="events", before_column_name="name", after_column_name="full_name"),
     ["ALTER TABLE `app`.`events` RENAME COLUMN `name` TO `full_name`"]),
    ("modify-column-type", ModifyTableColumn(table="events", before_column=col("n", "UInt32"),
                                             after_column=col("n", "UInt64")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN IF EXISTS `n` UInt64"]),
    ("modify-column-nullable", ModifyTableColumn(table="events", before_column=col("n", "UInt32"),
                                                 after_column=col("n", "UInt32", nullable=True, default="0")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN IF EXISTS `n` Nullable(UInt32) DEFAULT 0"]),
    ("modify-column-comment-only", ModifyTableColumn(
        table="events", before_column=col("n", "UInt32", default="1", comment="old"),
        after_column=col("n", "UInt32", default="1", comment="it's new")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN `n` COMMENT 'it\\'s new'"]),
    ("modify-column-comment-added", ModifyTableColumn(table="events", before_column=col("n"),
                                                      after_column=col("n", comment="c")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN `n` COMMENT 'c'"]),
    ("modify-column-comment-removed", ModifyTableColumn(table="events", before_column=col("n", comment="c"),
                                                        after_column=col("n")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN `n` COMMENT ''"]),
    ("modify-column-removals", ModifyTableColumn(
        table="events", cluster_name="c1",
        before_column=col("n", "UInt32", default="1", comment="c", codec="ZSTD(1)", ttl="ts + INTERVAL 1 DAY"),
        after_column=col("n", "UInt64")),
     ["ALTER TABLE `app`.`events` ON CLUSTER `c1` MODIFY COLUMN `n` REMOVE DEFAULT",
      "ALTER TABLE `app`.`events` ON CLUSTER `c1` MODIFY COLUMN `n` REMOVE TTL",
      "ALTER TABLE `app`.`events` ON CLUSTER `c1` MODIFY COLUMN `n` REMOVE CODEC",
      "ALTER TABLE `app`.`events` ON CLUSTER `c1` MODIFY COLUMN `n` REMOVE COMMENT",
      "ALTER TABLE `app`.`events` ON CLUSTER `c1` MODIFY COLUMN IF EXISTS `n` UInt64"]),
    ("modify-column-default-to-materialized", ModifyTableColumn(
        table="events", before_column=col("n", "UInt32", default="1"),
        after_column=col("n", "UInt32", materialized="2", comment="m")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN `n` REMOVE DEFAULT",
      "ALTER TABLE `app`.`events` MODIFY COLUMN IF EXISTS `n` UInt32 MATERIALIZED 2 COMMENT 'm'"]),
    ("modify-column-alias-removed", ModifyTableColumn(table="events", before_column=col("u", alias="upper(name)"),
                                                      after_column=col("u")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN `u` REMOVE ALIAS",
      "ALTER TABLE `app`.`events` MODIFY COLUMN IF EXISTS `u` String"]),
    ("modify-column-materialized-removed", ModifyTableColumn(
        table="events", before_column=col("u", materialized="upper(name)"), after_column=col("u", default="''")),
     ["ALTER TABLE `app`.`events` MODIFY COLUMN `u` REMOVE MATERIALIZED",
      "ALTER TABLE `app`.`events` MODIFY COLUMN IF EXISTS `u` String DEFAULT ''"]),
    ("modify-settings", ModifyTableSettings(
        table="events", before_settings={"merge_with_ttl_timeout": "3600", "old": "1", "same": "x"},
        after_settings={"merge_with_ttl_timeout": "7200", "storage_policy": "default", "same": "x",
                        "ratio": "0.5", "flag": "true"}),
     ["ALTER TABLE `app`.`events` MODIFY SETTING merge_with_ttl_timeout = 7200, storage_policy = 'default', "
      "ratio = 0.5, flag = true",
      "ALTER TABLE `app`.`events` RESET SETTING old"]),
    ("modify-settings-from-none", ModifyTableSettings(table="events", after_settings={"a": "it's"}),
     ["ALTER TABLE `app`.`events` MODIFY SETTING a = 'it\\'s'"]),
    ("modify-settings-all-removed", ModifyTableSettings(table="events", before_settings={"a": "1", "b": "2"}),
     ["ALTER TABLE `app`.`events` RESET SETTING a, b"]),
    ("modify-settings-unchanged", ModifyTableSettings(table="events", before_settings={"a": "1"},
                                                      after_settings={"a": "1"}), []),
    ("modify-ttl", ModifyTableTtl(table="events", after="ts + toIntervalDay(30)"),
     ["ALTER TABLE `app`.`events` MODIFY TTL ts + toIntervalDay(30)"]),
    ("remove-ttl", ModifyTableTtl(table="events", before="ts + toIntervalDay(30)"),
     ["ALTER TABLE `app`.`events` REMOVE TTL"]),
    ("add-index", AddTableIndex(table="events", index=TableIndex(name="ix", expression="name", type="bloom_filter",
                                                                 arguments=("0.01",), granularity=4)),
     ["ALTER TABLE `app`.`events` ADD INDEX `ix` name TYPE bloom_filter(0.01) GRANULARITY 4"]),
    ("add-index-no-arguments", AddTableIndex(table="events", index=TableIndex(name="mm", expression="id",
                                                                              type="minmax")),
     ["ALTER TABLE `app`.`events` ADD INDEX `mm` id TYPE minmax GRANULARITY 1"]),
    ("drop-index", DropTableIndex(table="events", index_name="ix"), ["ALTER TABLE `app`.`events` DROP INDEX `ix`"]),
    ("add-projection", AddTableProjection(table="events", projection=TableProjection(
        name="by_name", body="SELECT * ORDER BY name")),
     ["ALTER TABLE `app`.`events` ADD PROJECTION IF NOT EXISTS `by_name` (SELECT * ORDER BY name)"]),
    ("drop-projection", DropTableProjection(table="events", projection_name="by_name"),
     ["ALTER TABLE `app`.`events` DROP PROJECTION IF EXISTS `by_name`"]),
    ("modify-sample-by", ModifySampleBy(table="events", expression="intHash32(id)"),
     ["ALTER TABLE `app`.`events` MODIFY SAMPLE BY intHash32(id)"]),
    ("remove-sample-by", RemoveSampleBy(table="events", cluster_name="c1"),
     ["ALTER TABLE `app`.`events` ON CLUSTER `c1` REMOVE SAMPLE BY"]),
    ("create-view", CreateView(name="v", select_sql="SELECT id FROM events"),
     ["CREATE VIEW IF NOT EXISTS `app`.`v` AS SELECT id FROM events"]),
    ("create-view-db", CreateView(name="v", database="other", select_sql="SELECT 1"),
     ["CREATE VIEW IF NOT EXISTS `other`.`v` AS SELECT 1"]),
    ("drop-view", DropView(name="v"), ["DROP VIEW IF EXISTS `app`.`v`"]),
    ("create-mv", CreateMaterializedView(name="mv", select_sql="SELECT id FROM events", target_table="t"),
     ["CREATE MATERIALIZED VIEW IF NOT EXISTS `app`.`mv` TO `app`.`t` AS SELECT id FROM events"]),
    ("create-mv-dbs", CreateMaterializedView(name="mv", database="a", select_sql="SELECT 1 AS x", target_table="t",
                                             target_database="b"),
     ["CREATE MATERIALIZED VIEW IF NOT EXISTS `a`.`mv` TO `b`.`t` AS SELECT 1 AS x"]),
    ("drop-mv", DropMaterializedView(name="mv", database="a"), ["DROP VIEW IF EXISTS `a`.`mv`"]),
    ("raw-sql", RawSql(sql=("TRUNCATE TABLE t", "INSERT INTO t SELECT * FROM s;"), description="d"),
     ["TRUNCATE TABLE t", "INSERT INTO t SELECT * FROM s;"]),
    ("recreate-with-copy", RecreateTableWithCopy(before=EVENTS, table=attrs.evolve(EVENTS, order_by=("name",))),
     ["DROP TABLE IF EXISTS `app`.`events__muskox_copy`",
      "CREATE TABLE IF NOT EXISTS `app`.`events__muskox_copy` (`id` UInt64, `name` String) ENGINE = MergeTree "
      "ORDER BY (`name`)",
      "INSERT INTO `app`.`events__muskox_copy` (`id`, `name`) SELECT `id`, `name` FROM `app`.`events`",
      "SELECT throwIf((SELECT count() FROM `app`.`events__muskox_copy`) != (SELECT count() FROM `app`.`events`), "
      "'muskox: the copy of app.events does not have as many rows as the table (rows written during the copy?): "
      "nothing was swapped')",
      "EXCHANGE TABLES `app`.`events` AND `app`.`events__muskox_copy`",
      "DROP TABLE IF EXISTS `app`.`events__muskox_copy`"]),
    ("create-dictionary", CreateDictionary(dictionary=_DICT),
     ["CREATE DICTIONARY `app`.`d` (`id` UInt64) PRIMARY KEY `id` SOURCE(CLICKHOUSE(DB 'app' TABLE 'events')) "
      "LIFETIME(MIN 0 MAX 0) LAYOUT(FLAT())"]),
    ("replace-dictionary", ReplaceDictionary(before=_DICT, after=_DICT),
     ["CREATE OR REPLACE DICTIONARY `app`.`d` (`id` UInt64) PRIMARY KEY `id` SOURCE(CLICKHOUSE(DB 'app' TABLE "
      "'events')) LIFETIME(MIN 0 MAX 0) LAYOUT(FLAT())"]),
    ("drop-dictionary", DropDictionary(name="d", cluster_name="c1"),
     ["DROP DICTIONARY IF EXISTS `app`.`d` ON CLUSTER `c1`"]),
    ("add-constraint", AddTableConstraint(table="events", constraint=TableConstraint(
        name="named", expression="length(name) > 0", type="CHECK")),
     ["ALTER TABLE `app`.`events` ADD CONSTRAINT `named` CHECK length(name) > 0"]),
    ("drop-constraint", DropTableConstraint(table="events", constraint_name="named", cluster_name="c1"),
     ["ALTER TABLE `app`.`events` ON CLUSTER `c1` DROP CONSTRAINT IF EXISTS `named`"]),
    ("setup-sql-resource", CreateSqlResource(resource=_RESOURCE), ["CREATE VIEW v AS SELECT 1", "SELECT 2"]),
    ("teardown-sql-resource", DropSqlResource(resource=_RESOURCE), ["DROP VIEW IF EXISTS v"]),
]


@pytest.mark.parametrize(("operation", "expected"), [pytest.param(op, sql, id=name) for name, op, sql in CASES])
def test_render_operation(operation: Operation, expected: list[str]) -> None:
    assert render_operation(operation, DB) == expected


def test_every_builtin_operation_is_covered() -> None:
    covered = {type(op).__name__ for _, op, _ in CASES}
    assert covered == set(BUILTIN_OPERATIONS)


AWKWARD = ["order", "tâble ünï", "with space", "it's", "back`tick", "back\\slash", "dot.ted", "1digit"]


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_identifiers_are_quoted_everywhere(name: str) -> None:
    quoted = "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
    index = TableIndex(name=name, expression="id", type="minmax")
    operations: list[tuple[Operation, str]] = [
        (AddTableColumn(table=name, database=name, after_column=name, column=col(name), cluster_name=name),
         f"ALTER TABLE {quoted}.{quoted} ON CLUSTER {quoted} ADD COLUMN {quoted} String AFTER {quoted}"),
        (RenameTableColumn(table=name, database=name, before_column_name=name, after_column_name=name),
         f"ALTER TABLE {quoted}.{quoted} RENAME COLUMN {quoted} TO {quoted}"),
        (AddTableIndex(table=name, index=index), f"ALTER TABLE `app`.{quoted} ADD INDEX {quoted} id TYPE minmax "
                                                 "GRANULARITY 1"),
        (DropTableIndex(table=name, index_name=name), f"ALTER TABLE `app`.{quoted} DROP INDEX {quoted}"),
        (DropTableProjection(table=name, projection_name=name),
         f"ALTER TABLE `app`.{quoted} DROP PROJECTION IF EXISTS {quoted}"),
        (DropTableColumn(table=name, column_name=name), f"ALTER TABLE `app`.{quoted} DROP COLUMN IF EXISTS {quoted}"),
        (DropView(name=name, database=name), f"DROP VIEW IF EXISTS {quoted}.{quoted}"),
    ]
    for operation, expected in operations:
        assert render_operation(operation, DB) == [expected]


def test_comment_literal_is_escaped() -> None:
    operation = ModifyTableColumn(table="t", before_column=col("c"), after_column=col("c", comment="a'b\\c"))
    assert render_operation(operation, DB) == ["ALTER TABLE `app`.`t` MODIFY COLUMN `c` COMMENT 'a\\'b\\\\c'"]


def test_unchanged_column_renders_one_idempotent_modify() -> None:
    operation = ModifyTableColumn(table="t", before_column=col("c", comment="x"), after_column=col("c", comment="x"))
    assert render_operation(operation, DB) == ["ALTER TABLE `app`.`t` MODIFY COLUMN IF EXISTS `c` String COMMENT 'x'"]


def test_modify_column_refuses_a_name_change() -> None:
    operation = ModifyTableColumn(table="t", before_column=col("a"), after_column=col("b"))
    with pytest.raises(PlanInvalid, match="RenameTableColumn"):
        render_operation(operation, DB)


def test_settings_reject_a_bad_key() -> None:
    with pytest.raises(ValueError, match="setting name"):
        render_operation(ModifyTableSettings(table="t", after_settings={"a b": "1"}), DB)
    with pytest.raises(ValueError, match="setting name"):
        render_operation(ModifyTableSettings(table="t", before_settings={"x;DROP": "1"}), DB)


@attrs.frozen(kw_only=True)
class MakeCoffee(TableOperation):
    """An operation type no ClickHouse renderer knows."""

    def describe(self) -> str:
        return "Making coffee"


def test_unknown_operation_type_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedOperation) as info:
        render_operation(MakeCoffee(table="t"), DB)
    message = str(info.value)
    assert "'MakeCoffee'" in message
    assert "RawSql" in message
    assert "\n" not in message


def test_subclass_of_a_builtin_renders_as_its_base() -> None:
    @attrs.frozen(kw_only=True)
    class LoudDropTable(DropTable):
        pass

    assert render_operation(LoudDropTable(table="t"), DB) == ["DROP TABLE IF EXISTS `app`.`t`"]


# -- statement metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize(("operation", "mutations"), [
    pytest.param(ModifyTableColumn(table="t", before_column=col("n", "UInt32"), after_column=col("n", "UInt64")),
                 [True], id="type-change"),
    pytest.param(ModifyTableColumn(table="t", before_column=col("n", "UInt32"),
                                   after_column=col("n", "UInt32", nullable=True)), [True], id="nullable"),
    pytest.param(ModifyTableColumn(table="t", before_column=col("n", "UInt32", default="1"),
                                   after_column=col("n", "UInt32")), [False, False], id="default-removed"),
    pytest.param(ModifyTableColumn(table="t", before_column=col("n", "UInt32"),
                                   after_column=col("n", "UInt32", ttl="d + INTERVAL 1 DAY")), [True], id="ttl"),
    pytest.param(ModifyTableColumn(table="t", before_column=col("n"), after_column=col("n", comment="c")),
                 [False], id="comment"),
    pytest.param(DropTableColumn(table="t", column_name="c"), [True], id="drop-column"),
    pytest.param(RenameTableColumn(table="t", before_column_name="a", after_column_name="b"), [True], id="rename"),
    pytest.param(DropTableIndex(table="t", index_name="i"), [True], id="drop-index"),
    pytest.param(DropTableProjection(table="t", projection_name="p"), [True], id="drop-projection"),
    pytest.param(ModifyTableTtl(table="t", after="d + INTERVAL 1 DAY"), [True], id="modify-ttl"),
    pytest.param(ModifyTableTtl(table="t"), [False], id="remove-ttl"),
    pytest.param(AddTableColumn(table="t", column=col("c")), [False], id="add-column"),
    pytest.param(ModifySampleBy(table="t", expression="id"), [False], id="sample-by"),
])
def test_statements_known_to_start_mutations(operation: Operation, mutations: list[bool]) -> None:
    statements = render_statements(operation, DB)
    assert [s.mutation for s in statements] == mutations
    assert all(s.watch == (DB, "t") for s in statements)


def test_views_and_raw_sql_run_in_their_database() -> None:
    assert render_statements(CreateView(name="v", select_sql="SELECT 1"), DB) == [
        Statement("CREATE VIEW IF NOT EXISTS `app`.`v` AS SELECT 1", session_database=DB)]
    [mv] = render_statements(CreateMaterializedView(name="m", database="x", select_sql="SELECT 1",
                                                    target_table="t"), DB)
    assert mv.session_database == "x"
    raw = render_statements(RawSql(sql=("ALTER TABLE events UPDATE a = 1 WHERE 1", "SELECT 1")), DB)
    assert raw == [Statement("ALTER TABLE events UPDATE a = 1 WHERE 1", session_database=DB, watch=(DB, "events")),
                   Statement("SELECT 1", session_database=DB)]
    assert render_statements(CreateTable(table=EVENTS), DB)[0].watch is None


@pytest.mark.parametrize(("sql", "target"), [
    ("ALTER TABLE t DELETE WHERE 1", ("app", "t")),
    ("alter table db.t UPDATE x = 1 WHERE 1", ("db", "t")),
    ("ALTER TABLE `my db`.`the table` ON CLUSTER c MATERIALIZE INDEX i", ("my db", "the table")),
    ("  -- comment\n ALTER TABLE \"q\" DROP COLUMN c", ("app", "q")),
    ("ALTER USER u SETTINGS max_threads = 1", None),
    ("INSERT INTO t VALUES (1)", None),
    ("ALTER", None),
])
def test_alter_target(sql: str, target: tuple[str, str] | None) -> None:
    assert alter_target(sql, "app") == target


def test_kill_mutation_statement_quotes_its_literals() -> None:
    assert kill_mutation_statement("d'b", "t", "mutation_3.txt") == (
        "KILL MUTATION WHERE database = 'd\\'b' AND table = 't' AND mutation_id = 'mutation_3.txt'")


# -- masking -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT 1", "SELECT 1"),
    ("CREATE TABLE t (a String) ENGINE = S3('https://b.s3.amazonaws.com/x.csv', 'AKIAKEY', 'sEcReT', 'CSV')",
     "CREATE TABLE t (a String) ENGINE = S3('https://b.s3.amazonaws.com/x.csv', '****', '****', '****')"),
    ("SELECT * FROM s3('https://b/x.parquet', NOSIGN)", "SELECT * FROM s3('https://b/x.parquet', NOSIGN)"),
    ("SELECT * FROM s3('https://b/x.parquet', 'NOSIGN')", "SELECT * FROM s3('https://b/x.parquet', 'NOSIGN')"),
    ("INSERT INTO t SELECT * FROM mysql('h:3306', 'db', 'tbl', 'user', 'pw')",
     "INSERT INTO t SELECT * FROM mysql('h:3306', 'db', 'tbl', 'user', '****')"),
    ("SELECT * FROM remoteSecure('h', db, t, 'u', 'p')", "SELECT * FROM remoteSecure('h', db, t, 'u', '****')"),
    ("CREATE TABLE k (a String) ENGINE = Kafka SETTINGS kafka_broker_list = 'b:9092', kafka_sasl_password = 'pw'",
     "CREATE TABLE k (a String) ENGINE = Kafka SETTINGS kafka_broker_list = 'b:9092', kafka_sasl_password = '****'"),
    ("SELECT * FROM s3(coll, url = 'https://x', access_key_id = 'AK', secret_access_key = 'SK')",
     "SELECT * FROM s3(coll, url = 'https://x', access_key_id = '****', secret_access_key = '****')"),
    ("CREATE USER bob IDENTIFIED WITH sha256_password BY 'hunter2'",
     "CREATE USER bob IDENTIFIED WITH sha256_password BY '****'"),
    ("SELECT * FROM url('https://alice:hunter2@example.com/data.csv')",
     "SELECT * FROM url('https://alice:****@example.com/data.csv')"),
    ("SELECT 'password' AS word", "SELECT 'password' AS word"),
])
def test_mask_sql(sql: str, expected: str) -> None:
    assert mask_sql(sql) == expected
