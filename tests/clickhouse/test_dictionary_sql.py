"""Dictionaries in ClickHouse SQL: the statements, the canonical form that compares them with the server's, the
password masked for people and restored for the server, and introspection from the ``system.tables`` rows."""

from __future__ import annotations

from typing import Any

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.operations import CreateDictionary, DropDictionary, ReplaceDictionary
from muskox_clickhouse.alter import planned_statements, render_operation
from muskox_clickhouse.dictionary_sql import (
    canonical_dictionary_sql,
    dictionaries_from_rows,
    normalize_dictionary,
    render_create_dictionary,
)
from muskox_clickhouse.sql_masking import mask_sql

MYSQL: dict[str, Any] = {
    "name": "accounts", "database": None, "clusterName": None, "primaryKey": ["id"],
    "source": {"type": "EXTERNAL", "externalSource": {"source_type": "MYSQL", "host": "m", "port": 3306,
                                                     "user": "r", "password": "[HIDDEN]", "db": "crm",
                                                     "table": "accounts"}},
    "columns": [{"name": "id", "typeString": "UInt64"}, {"name": "owner", "typeString": "String"}],
    "layout": {"type": "HASHED"}, "lifetime": {"type": "RANGE", "min": 60, "max": 120}, "invalidateQuery": None,
    "settings": {}, "comment": None, "metadata": None, "lifeCycle": "FULLY_MANAGED"}
SERVER = ("CREATE DICTIONARY app.accounts (`id` UInt64, `owner` String) PRIMARY KEY id SOURCE(MYSQL(HOST 'm' "
          "PORT 3306 USER 'r' PASSWORD '[HIDDEN]' DB 'crm' TABLE 'accounts')) LIFETIME(MIN 60 MAX 120) "
          "LAYOUT(HASHED())")


def test_the_code_and_the_server_statement_normalize_equal() -> None:
    code = Dictionary.from_encoding(MYSQL)
    server = attrs.evolve(code, server_sql=SERVER)
    assert normalize_dictionary(code, "app") == normalize_dictionary(server, "app")
    other = attrs.evolve(server, server_sql=SERVER.replace("MAX 120", "MAX 121"))
    assert normalize_dictionary(code, "app") != normalize_dictionary(other, "app")


def test_canonical_form_ignores_quoting_spacing_and_replace() -> None:
    assert canonical_dictionary_sql("CREATE OR REPLACE DICTIONARY `a`.`d` (x UInt8) PRIMARY KEY `x` LIFETIME(5)") \
        == canonical_dictionary_sql("CREATE DICTIONARY IF NOT EXISTS d (`x`   UInt8) PRIMARY KEY x "
                                    "LIFETIME(MIN 0 MAX 5)")


def test_password_restored_for_the_server_hidden_for_people() -> None:
    hidden = Dictionary.from_encoding(MYSQL)
    restored = attrs.evolve(hidden, secrets={"password": "s3cret"})
    assert "PASSWORD 's3cret'" in render_operation(CreateDictionary(dictionary=restored), "app")[0]
    shown = " ".join(s.sql for s in planned_statements(CreateDictionary(dictionary=restored), "app"))
    assert "s3cret" not in shown and "PASSWORD '[HIDDEN]'" in shown
    assert "s3cret" not in mask_sql(render_create_dictionary(restored, "app"))


def test_statements() -> None:
    d = Dictionary.from_encoding({**MYSQL, "source": {"type": "QUERY", "query": "SELECT 1 AS id, 'x' AS owner"},
                                  "lifetime": {"type": "STATIC"}, "settings": {"max_threads": "2"},
                                  "comment": "c"})
    assert render_operation(ReplaceDictionary(before=d, after=d), "app") == [
        "CREATE OR REPLACE DICTIONARY `app`.`accounts` (`id` UInt64, `owner` String) PRIMARY KEY `id` "
        "SOURCE(CLICKHOUSE(QUERY 'SELECT 1 AS id, \\'x\\' AS owner')) LIFETIME(MIN 0 MAX 0) LAYOUT(HASHED()) "
        "SETTINGS(max_threads = 2) COMMENT 'c'"]
    assert render_operation(DropDictionary(name="accounts", database="b"), "app") == [
        "DROP DICTIONARY IF EXISTS `b`.`accounts`"]


def test_introspection_reads_the_tables_rows() -> None:
    rows = [("app", "accounts", "Dictionary", SERVER, "", ""), ("app", "t", "MergeTree", "CREATE TABLE …", "", "")]
    (found,) = dictionaries_from_rows(rows)
    assert (found.database, found.name, found.server_sql) == ("app", "accounts", SERVER)
