"""ClickHouse's SQL dialect: lexing, canonical forms for comparison, quoting and type conversions."""
