"""Declarations covering the common column types, a table and a stream (collected, never applied)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from muskox import Key, OlapConfig, OlapTable, Stream, StreamConfig, UInt32


class Warm(BaseModel):
    """One field of each common kind."""

    id: Key[str]
    ts: datetime
    day: date
    count: int | None = None
    ratio: float
    flag: bool
    uid: UUID
    amount: Decimal
    tags: list[str]
    counts: dict[str, int]
    small: UInt32
    note: Annotated[str, "LowCardinality"] = Field(description="a comment")


warm = OlapTable[Warm]("warm", OlapConfig(order_by_fields=["id"]))
warm_stream = Stream[Warm]("warm", StreamConfig(destination=warm))
