"""What "the core is backend-neutral" excludes, shared by the probe and its test (imports nothing)."""

#: Top-level modules the core must work without: the ClickHouse plugin and the ClickHouse drivers.
REFUSED = ("muskox_clickhouse", "clickhouse_connect", "asynch", "chdb")

#: Core modules helper B moves out of the core (the chdb launcher and its test fixture); until then they may fail
#: to import without ClickHouse, and may contain ClickHouse SQL. EMPTY THIS LIST when they have moved.
PENDING_MOVE = ("muskox.local", "muskox.testing.clickhouse")
