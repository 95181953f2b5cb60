"""``moose_lib.data_models`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "AggregateFunction", "ArrayType", "ClickHouseAlias", "ClickHouseCodec", "ClickHouseJson",
    "ClickHouseMaterialized", "ClickHouseTTL", "ClickhouseDefault", "ClickhouseFixedStringSize",
    "ClickhousePrecision", "ClickhouseSize", "Column", "DataEnum", "DataType", "EnumValue", "FixedString", "Float32",
    "Float64", "Int16", "Int32", "Int64", "Int8", "JWT", "JsonOptions", "Key", "LineString", "MapType",
    "MultiLineString", "MultiPolygon", "NamedTupleType", "Nested", "Point", "Polygon", "Ring",
    "SimpleAggregateFunction", "StringToEnumMixin", "UInt16", "UInt32", "UInt64", "UInt8", "aggregated",
    "clickhouse_datetime64", "clickhouse_decimal", "clickhouse_default", "enum_value_serializer",
    "handle_annotation", "handle_jwt", "handle_key", "handle_optional", "is_array_nested_type", "is_nested_type",
    "json_annotation_to_type", "py_type_to_column_type", "simple_aggregated",
])
