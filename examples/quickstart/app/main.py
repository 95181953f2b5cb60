"""A small analytics schema: events, users, a daily roll-up fed by a materialized view, and a view."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from muskox import (
    Key,
    LifeCycle,
    MaterializedView,
    MaterializedViewOptions,
    OlapConfig,
    OlapTable,
    ReplacingMergeTreeEngine,
    UInt32,
    UInt64,
    View,
    ViewConfig,
    clickhouse_decimal,
)


class Event(BaseModel):
    id: Key[str]
    ts: datetime
    kind: Literal["click", "view"]
    amount: clickhouse_decimal(18, 4)
    referrer: str | None = None
    tags: list[str]


events = OlapTable[Event]("events", OlapConfig(
    order_by_fields=["id", "ts"], partition_by="toYYYYMM(ts)", ttl="ts + INTERVAL 90 DAY"))


class User(BaseModel):
    id: Key[str]
    name: str = Field(description="display name")
    updated: datetime
    visits: UInt32


users = OlapTable[User]("users", OlapConfig(
    order_by_fields=["id"], engine=ReplacingMergeTreeEngine(ver="updated"),
    life_cycle=LifeCycle.DELETION_PROTECTED))


class KindCount(BaseModel):
    kind: Key[str]
    n: UInt64


kind_counts = OlapTable[KindCount]("kind_counts", OlapConfig(order_by_fields=["kind"]))
counts = MaterializedView[KindCount](MaterializedViewOptions(
    select_statement="SELECT kind, toUInt64(1) AS n FROM events", select_tables=[events],
    materialized_view_name="events_to_kind_counts"), target_table=kind_counts)
big = View("big_events", ViewConfig(select_statement="SELECT id, amount FROM events WHERE amount > 100",
                                    base_tables=[events]))
