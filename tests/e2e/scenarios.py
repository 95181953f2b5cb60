"""The scenario corpus: schema evolutions, each a before/after declaration and the operations expected.

Every scenario runs end to end through the real CLI against the real ClickHouse (tests/e2e/test_scenarios.py):
``generate migration --save`` and ``migrate`` for *before*, then for *after* (with ``flags``), checking the
planned operations, that the database introspects equal to the code, and that the next ``plan`` is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEADER = """\
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Optional
from uuid import UUID

from pydantic import BaseModel, Field

from muskox import (ClickHouseCodec, ClickHouseMaterialized, ClickHouseTTL, Int32, Int64, Key, LifeCycle,
                    LowCardinality, MaterializedView, MaterializedViewOptions, OlapConfig, OlapTable,
                    ReplacingMergeTreeEngine, SummingMergeTreeEngine, UInt8, UInt32, UInt64, View, ViewConfig,
                    clickhouse_decimal, clickhouse_default)
"""

@dataclass(frozen=True)
class Scenario:
    """One evolution step."""

    name: str
    before: str
    after: str
    expect: tuple[str, ...]
    flags: tuple[str, ...] = ("--yes-all",)
    blocked: int = 0
    extra_checks: dict[str, str] = field(default_factory=dict)


def table(model: str = "Event", name: str = "events", config: str = 'order_by_fields=["id"]') -> str:
    return f'{name} = OlapTable[{model}]("{name}", OlapConfig({config}))\n'


def model(*fields: str, name: str = "Event") -> str:
    return f"\nclass {name}(BaseModel):\n" + "".join(f"    {f}\n" for f in fields)


BASE = model("id: Key[str]", "ts: datetime", "name: str")

SCENARIOS: list[Scenario] = [
    Scenario("create table", "", BASE + table(), ("CreateTable",)),
    Scenario("drop table", BASE + table(), "", ("DropTable",)),
    Scenario("add column at the end", BASE + table(),
             model("id: Key[str]", "ts: datetime", "name: str", "country: str") + table(), ("AddTableColumn",)),
    Scenario("add column in the middle", BASE + table(),
             model("id: Key[str]", "country: str", "ts: datetime", "name: str") + table(), ("AddTableColumn",)),
    Scenario("add nullable column", BASE + table(),
             model("id: Key[str]", "ts: datetime", "name: str", "referrer: Optional[str] = None") + table(),
             ("AddTableColumn",)),
    Scenario("drop column", BASE + table(), model("id: Key[str]", "ts: datetime") + table(), ("DropTableColumn",)),
    Scenario("change column type (widening)", model("id: Key[str]", "n: Int32") + table(),
             model("id: Key[str]", "n: Int64") + table(), ("ModifyTableColumn",)),
    Scenario("make column nullable", BASE + table(),
             model("id: Key[str]", "ts: datetime", "name: Optional[str] = None") + table(), ("ModifyTableColumn",)),
    Scenario("add default", BASE + table(),
             model("id: Key[str]", "ts: datetime", 'name: Annotated[str, clickhouse_default("\'anon\'")]')
             + table(), ("ModifyTableColumn",)),
    Scenario("remove default", model("id: Key[str]", 'name: Annotated[str, clickhouse_default("\'x\'")]') + table(),
             model("id: Key[str]", "name: str") + table(), ("ModifyTableColumn",)),
    Scenario("add comment", BASE + table(),
             model("id: Key[str]", "ts: datetime", 'name: str = Field(description="who")') + table(),
             ("ModifyTableColumn",)),
    Scenario("add codec", BASE + table(),
             model("id: Key[str]", "ts: datetime", 'name: Annotated[str, ClickHouseCodec("ZSTD(3)")]') + table(),
             ("ModifyTableColumn",)),
    Scenario("add column TTL", BASE + table(),
             model("id: Key[str]", "ts: datetime", 'name: Annotated[str, ClickHouseTTL("ts + INTERVAL 1 DAY")]')
             + table(), ("ModifyTableColumn",)),
    Scenario("rename column (accepted)", BASE + table(),
             model("id: Key[str]", "ts: datetime", "full_name: str") + table(), ("RenameTableColumn",)),
    Scenario("low cardinality", BASE + table(),
             model("id: Key[str]", "ts: datetime", 'name: Annotated[str, "LowCardinality"]') + table(),
             ("ModifyTableColumn",)),
    Scenario("add table TTL", BASE + table(), BASE + table(config='order_by_fields=["id"], ttl="ts + INTERVAL 30 DAY"'),
             ("ModifyTableTtl",)),
    Scenario("change table TTL", BASE + table(config='order_by_fields=["id"], ttl="ts + INTERVAL 30 DAY"'),
             BASE + table(config='order_by_fields=["id"], ttl="ts + INTERVAL 90 DAY"'), ("ModifyTableTtl",)),
    Scenario("remove table TTL", BASE + table(config='order_by_fields=["id"], ttl="ts + INTERVAL 30 DAY"'),
             BASE + table(), ("ModifyTableTtl",)),
    Scenario("TTL spelled differently is no change",
             BASE + table(config='order_by_fields=["id"], ttl="ts + INTERVAL 30 DAY"'),
             BASE + table(config='order_by_fields=["id"], ttl="ts + toIntervalDay(30)"'), ()),
    Scenario("add setting", BASE + table(),
             BASE + table(config='order_by_fields=["id"], settings={"merge_with_ttl_timeout": "3600"}'),
             ("ModifyTableSettings",)),
    Scenario("remove setting",
             BASE + table(config='order_by_fields=["id"], settings={"merge_with_ttl_timeout": "3600"}'),
             BASE + table(), ("ModifyTableSettings",)),
    Scenario("read-only setting recreates", BASE + table(),
             BASE + table(config='order_by_fields=["id"], settings={"index_granularity": "1024"}'),
             ("RecreateTableWithCopy",)),
    Scenario("order by change recreates", BASE + table(), BASE + table(config='order_by_fields=["id", "ts"]'),
             ("RecreateTableWithCopy",)),
    Scenario("order by expression", BASE + table(), BASE + table(config='order_by_expression="tuple()"'),
             ("RecreateTableWithCopy",)),
    Scenario("partition by recreates", BASE + table(),
             BASE + table(config='order_by_fields=["id"], partition_by="toYYYYMM(ts)"'), ("RecreateTableWithCopy",)),
    Scenario("engine change recreates", BASE + table(),
             BASE + table(config='order_by_fields=["id"], engine=ReplacingMergeTreeEngine(ver="ts")'),
             ("RecreateTableWithCopy",)),
    Scenario("primary key expression recreates", BASE + table(config='order_by_fields=["id", "ts"]'),
             BASE + table(config='order_by_fields=["id", "ts"], primary_key_expression="id"'),
             ("RecreateTableWithCopy",)),
    Scenario("add index", BASE + table(),
             BASE + table(config='order_by_fields=["id"], indexes=[OlapConfig.TableIndex(name="ts_minmax", '
                                 'expression="ts", type="minmax", granularity=1)]'), ("AddTableIndex",)),
    Scenario("drop index",
             BASE + table(config='order_by_fields=["id"], indexes=[OlapConfig.TableIndex(name="ts_minmax", '
                                 'expression="ts", type="minmax", granularity=1)]'), BASE + table(),
             ("DropTableIndex",)),
    Scenario("change index is drop + add",
             BASE + table(config='order_by_fields=["id"], indexes=[OlapConfig.TableIndex(name="i", '
                                 'expression="ts", type="minmax", granularity=1)]'),
             BASE + table(config='order_by_fields=["id"], indexes=[OlapConfig.TableIndex(name="i", '
                                 'expression="ts", type="minmax", granularity=4)]'),
             ("DropTableIndex", "AddTableIndex")),
    Scenario("create view", BASE + table(),
             BASE + table() + 'v = View("recent", ViewConfig(select_statement="SELECT id FROM events", '
                              'base_tables=[events]))\n', ("CreateView",)),
    Scenario("change view is drop + create",
             BASE + table() + 'v = View("recent", ViewConfig(select_statement="SELECT id FROM events", '
                              'base_tables=[events]))\n',
             BASE + table() + 'v = View("recent", ViewConfig(select_statement="SELECT id, ts FROM events", '
                              'base_tables=[events]))\n', ("DropView", "CreateView")),
    Scenario("create materialized view after its tables", "",
             BASE + table() + model("name: Key[str]", "n: UInt64", name="Count")
             + table("Count", "counts", 'order_by_fields=["name"]')
             + 'mv = MaterializedView[Count](MaterializedViewOptions(select_statement="SELECT name, '
               'toUInt64(1) AS n FROM events", select_tables=[events], materialized_view_name="events_to_counts"), '
               'target_table=counts)\n', ("CreateTable", "CreateTable", "CreateMaterializedView")),
    Scenario("drop materialized view before its tables",
             BASE + table() + model("name: Key[str]", "n: UInt64", name="Count")
             + table("Count", "counts", 'order_by_fields=["name"]')
             + 'mv = MaterializedView[Count](MaterializedViewOptions(select_statement="SELECT name, '
               'toUInt64(1) AS n FROM events", select_tables=[events], materialized_view_name="events_to_counts"), '
               'target_table=counts)\n', "", ("DropMaterializedView", "DropTable", "DropTable")),
    Scenario("deletion-protected table is not dropped", BASE + table(
             config='order_by_fields=["id"], life_cycle=LifeCycle.DELETION_PROTECTED'), "", (), blocked=1),
    Scenario("deletion-protected column drop is blocked, add goes through",
             BASE + table(config='order_by_fields=["id"], life_cycle=LifeCycle.DELETION_PROTECTED'),
             model("id: Key[str]", "ts: datetime", "extra: UInt8")
             + table(config='order_by_fields=["id"], life_cycle=LifeCycle.DELETION_PROTECTED'),
             ("AddTableColumn",), blocked=1),
    Scenario("deletion-protected recreate is blocked",
             BASE + table(config='order_by_fields=["id"], life_cycle=LifeCycle.DELETION_PROTECTED'),
             BASE + table(config='order_by_fields=["id", "ts"], life_cycle=LifeCycle.DELETION_PROTECTED'),
             (), blocked=1),
    Scenario("externally managed table is not created", "",
             BASE + table(config='order_by_fields=["id"], life_cycle=LifeCycle.EXTERNALLY_MANAGED'), (), blocked=1),
    Scenario("version bump with backfill", BASE + table(config='order_by_fields=["id"], version="1.0"'),
             BASE + table(config='order_by_fields=["id"], version="2.0"'), ("CreateTable", "RawSql", "DropTable")),
    Scenario("awkward names are quoted",
             model("id: Key[str]", 'order_: str = Field(alias="order")', 'naive: str = Field(alias="naïve col")')
             + table(),
             model("id: Key[str]", 'order_: str = Field(alias="order")', 'naive: str = Field(alias="naïve col")',
                   'q: str = Field(alias="it\'s `odd`")') + table(), ("AddTableColumn",)),
    Scenario("several tables at once", BASE + table(),
             model("id: Key[str]", "ts: datetime", "name: str", "a: UInt8") + table()
             + model("id: Key[str]", "v: UInt32", name="Other") + table("Other", "others"),
             ("AddTableColumn", "CreateTable")),
    Scenario("summing engine with columns", "",
             model("id: Key[str]", "n: UInt64") + table(config='order_by_fields=["id"], '
                                                           'engine=SummingMergeTreeEngine(columns=["n"])'),
             ("CreateTable",)),
]
