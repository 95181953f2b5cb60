"""What "the core is backend-neutral" excludes, shared by the probe and its test (imports nothing)."""

#: Top-level modules the core must work without: the ClickHouse plugin and the ClickHouse drivers.
REFUSED = ("muskox_clickhouse", "clickhouse_connect", "asynch", "chdb")
