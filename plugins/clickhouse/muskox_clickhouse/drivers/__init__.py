"""The two driver bindings of :class:`muskox_clickhouse.client.ClickHouseClient` (imported on demand)."""
