"""Reading the server's ``CREATE DICTIONARY`` back into Moose's encoding (``muskox ls``, ``muskox db pull``): what
the renderer writes reads back to the same encoding, credentials stay hidden, other shapes give None."""

from __future__ import annotations

from typing import Any

import pytest

from muskox.model.dictionary import Dictionary
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.dictionary_parse import encoding_from_sql
from muskox_clickhouse.dictionary_sql import render_create_dictionary

_COLUMNS = [{"name": "id", "typeString": "UInt64"},
            {"name": "label", "typeString": "LowCardinality(String)", "defaultValue": "'none'", "isInjective": True,
             "comment": "it's shown"},
            {"name": "parent", "typeString": "UInt64", "isHierarchical": True},
            {"name": "doubled", "typeString": "UInt64", "expression": "id * 2"}]
ENCODINGS: list[dict[str, Any]] = [
    {"source": {"type": "TABLE", "table": "t", "database": "app"}, "layout": {"type": "FLAT"},
     "lifetime": {"type": "SINGLE", "seconds": 300}, "settings": {}, "comment": None},
    {"source": {"type": "QUERY", "query": "SELECT id, 'x' AS label FROM t"},
     "layout": {"type": "RANGE_HASHED", "range_lookup_strategy": "max"}, "lifetime": {"type": "STATIC"},
     "settings": {"format_csv_allow_single_quotes": "0"}, "comment": "by id"},
    {"source": {"type": "EXTERNAL", "externalSource": {"host": "m", "port": 3306, "user": "r",
                                                        "password": "[HIDDEN]", "db": "crm", "table": "a",
                                                        "source_type": "MYSQL"}},
     "layout": {"type": "HASHED"}, "lifetime": {"type": "RANGE", "min": 60, "max": 120}, "settings": {},
     "comment": None},
]


@pytest.mark.parametrize("encoding", ENCODINGS, ids=["table", "query", "mysql"])
def test_what_the_renderer_writes_reads_back(encoding: dict[str, Any]) -> None:
    value = {"name": "d", "database": "app", "primaryKey": ["id"], "columns": _COLUMNS, **encoding}
    sql = render_create_dictionary(Dictionary.from_encoding(value), "app", masked=True)
    assert encoding_from_sql(sql) == {"primaryKey": ["id"], "columns": _COLUMNS, **encoding}


def test_the_dialect_describes_a_dictionary_read_from_the_server() -> None:
    server = Dictionary(name="d", database="app", definition='{"database":"app","name":"d"}',
                        server_sql="CREATE DICTIONARY app.d (`id` UInt64) PRIMARY KEY id SOURCE(MYSQL(HOST 'm' "
                                   "PASSWORD '[HIDDEN]' DB 'crm' TABLE 'a')) LIFETIME(5) LAYOUT(FLAT())")
    described = CLICKHOUSE.describe_dictionary(server)
    assert described.encoding["source"]["externalSource"]["password"] == "[HIDDEN]"
    assert described.encoding["lifetime"] == {"type": "SINGLE", "seconds": 5}
    assert described.name == "d" and described.server_sql == server.server_sql
    unreadable = Dictionary(name="d", server_sql="CREATE DICTIONARY d (`id` UInt64) PRIMARY KEY id")
    assert CLICKHOUSE.describe_dictionary(unreadable) == unreadable
