"""The whole world muskox manages, as code declares it or as the servers report it."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from muskox.model.recorded import RecordedResource, by_map_key
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.table import Table, version_suffix


def table_id(table: Table, default_database: str) -> str:
    """Moose's table map key: ``<database>_<name>[_<version>]`` (spec 6.1)."""
    return f"{table.database or default_database}_{table.name}{version_suffix(table.version)}"


@attrs.frozen(kw_only=True)
class InfraMap:
    """Tables, views, materialized views and topics, each keyed by its id; and the declarations muskox only
    records (``recorded``, keyed by ``section/key``: APIs, workflows, web apps, and the ClickHouse objects it does
    not apply yet), which the differ never sees."""

    default_database: str
    tables: dict[str, Table] = attrs.field(factory=dict)
    views: dict[str, View] = attrs.field(factory=dict)
    materialized_views: dict[str, MaterializedView] = attrs.field(factory=dict)
    topics: dict[str, Topic] = attrs.field(factory=dict)
    recorded: dict[str, RecordedResource] = attrs.field(factory=dict)

    @classmethod
    def of(cls, default_database: str, tables: Iterable[Table] = (), views: Iterable[View] = (),
           materialized_views: Iterable[MaterializedView] = (), topics: Iterable[Topic] = (),
           recorded: Iterable[RecordedResource] = ()) -> InfraMap:
        """Build a map from lists, computing every id."""
        return cls(
            default_database=default_database,
            tables={table_id(t, default_database): t for t in tables},
            views={v.name: v for v in views},
            materialized_views={m.name: m for m in materialized_views},
            topics={t.name: t for t in topics},
            recorded=by_map_key(recorded),
        )
