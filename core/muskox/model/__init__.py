"""The schema model: immutable attrs values for everything muskox compares, plans and applies."""

from muskox.model.engines import (
    AggregatingMergeTree,
    CollapsingMergeTree,
    Engine,
    MergeTree,
    OtherEngine,
    ReplacingMergeTree,
    Replication,
    SummingMergeTree,
    VersionedCollapsingMergeTree,
)
from muskox.model.infra_map import InfraMap, table_id
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Column, LifeCycle, Metadata, SourceFile, Table, TableIndex, TableProjection

__all__ = [
    "AggregatingMergeTree", "CollapsingMergeTree", "Column", "Engine", "InfraMap", "LifeCycle",
    "MaterializedView", "MergeTree", "Metadata", "OtherEngine", "ReplacingMergeTree", "Replication",
    "SourceFile", "SummingMergeTree", "Table", "TableIndex", "TableProjection", "Topic",
    "VersionedCollapsingMergeTree", "View", "table_id",
]
