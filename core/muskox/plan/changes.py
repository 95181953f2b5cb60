"""What the differ finds: semantic changes between the current and the target state.

Changes keep the ORIGINAL (un-normalized) values of both sides, so what gets created is what the code says;
normalization only decides whether two things differ. Policies filter and rewrite changes; lowering turns
them into plan operations.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.sql_resource import SqlResource
from muskox.model.table import Column, Table, TableConstraint, TableIndex, TableProjection

ResourceKind = Literal["table", "view", "materialized_view", "topic", "dictionary", "sql_resource"]
Resource: TypeAlias = Table | View | MaterializedView | Topic | Dictionary | SqlResource


@attrs.frozen
class ColumnAdded:
    """A column only the target has, placed after ``after`` (None: first)."""

    column: Column
    after: str | None


@attrs.frozen
class ColumnRemoved:
    """A column only the current state has."""

    column: Column


@attrs.frozen
class ColumnModified:
    """A column both have, with a different type or properties."""

    before: Column
    after: Column


@attrs.frozen
class ColumnRenamed:
    """A removed and an added column confirmed to be one column under a new name (rename policy)."""

    before: Column
    after: Column


ColumnChange: TypeAlias = ColumnAdded | ColumnRemoved | ColumnModified | ColumnRenamed


@attrs.frozen
class Added:
    """A resource only the target has."""

    kind: ResourceKind
    key: str
    after: Resource


@attrs.frozen
class Removed:
    """A resource only the current state has."""

    kind: ResourceKind
    key: str
    before: Resource


@attrs.frozen
class Recreated:
    """A resource whose change cannot be an ALTER: dropped and created again (data loss for tables)."""

    kind: ResourceKind
    key: str
    before: Resource
    after: Resource
    reason: str
    copy_rows: bool = False
    """A table that keeps its rows: created beside the old one, filled from it, then swapped in."""


@attrs.frozen
class TableAltered:
    """A table changed in ways ALTER TABLE can apply."""

    key: str
    before: Table
    after: Table
    columns: tuple[ColumnChange, ...] = ()
    settings_changed: bool = False
    settings_before: dict[str, str] = attrs.field(factory=dict)
    """The settings that differ from the server defaults before (normalized; read-only ones never appear)."""
    settings_after: dict[str, str] = attrs.field(factory=dict)
    """The same, after."""
    ttl_changed: bool = False
    indexes_added: tuple[TableIndex, ...] = ()
    indexes_dropped: tuple[TableIndex, ...] = ()
    projections_added: tuple[TableProjection, ...] = ()
    projections_dropped: tuple[TableProjection, ...] = ()
    sample_by_changed: bool = False
    constraints_added: tuple[TableConstraint, ...] = ()
    constraints_dropped: tuple[TableConstraint, ...] = ()
    """A changed constraint is dropped and added again."""

    @property
    def kind(self) -> ResourceKind:
        """Always ``"table"``."""
        return "table"

    def is_empty(self) -> bool:
        """True when nothing is left to apply (e.g. after a policy removed every column change)."""
        return not (self.columns or self.settings_changed or self.ttl_changed or self.indexes_added
                    or self.indexes_dropped or self.projections_added or self.projections_dropped
                    or self.sample_by_changed or self.constraints_added or self.constraints_dropped)


@attrs.frozen
class TopicAltered:
    """A topic whose partitions or configuration changed."""

    key: str
    before: Topic
    after: Topic

    @property
    def kind(self) -> ResourceKind:
        """Always ``"topic"``."""
        return "topic"


Change: TypeAlias = Added | Removed | Recreated | TableAltered | TopicAltered


@attrs.frozen
class Blocked:
    """A change a policy refused, with the reason shown to the user (never executed)."""

    change: Change
    reason: str
