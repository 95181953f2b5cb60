"""The plan vocabulary: one frozen attrs class per operation, named as in Moose's Plan Reference.

Each operation knows whether it is destructive, the object it touches (for ordering and parallel execution)
and how to describe itself in progress output. SQL is rendered by the backend plugin, never here. Plugins add
operation types (topics, dictionaries, …) through the ``muskox_register_operations`` hook.
"""

from __future__ import annotations

from typing import ClassVar, Literal, TypeAlias

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.sql_resource import SqlResource
from muskox.model.table import Column, Table, TableConstraint, TableIndex, TableProjection

BackendKind: TypeAlias = Literal["olap", "stream"]
"""Which backend applies an operation: the OLAP database (tables, views) or the stream broker (topics)."""


@attrs.frozen(kw_only=True)
class Operation:
    """Base of every operation. ``destructive`` operations can lose data and need approval."""

    destructive: ClassVar[bool] = False
    """True when applying it can lose data (a drop, or a recreate)."""
    backend: ClassVar[BackendKind] = "olap"
    """The backend that applies it; ``migrate`` routes each operation there (topics: ``"stream"``)."""

    def subject(self) -> tuple[str | None, str]:
        """``(database, name)`` of the object it changes; operations on one subject run in order."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short human description, e.g. ``Adding column 'c' to table 'x'``."""
        raise NotImplementedError


@attrs.frozen(kw_only=True)
class TableOperation(Operation):
    """An operation on one table: ``database`` None means ``clickhouse_config.db_name``."""

    table: str
    database: str | None = None
    cluster_name: str | None = None

    def subject(self) -> tuple[str | None, str]:
        return (self.database, self.table)


@attrs.frozen(kw_only=True)
class CreateTable(Operation):
    """Create a table from its full definition."""

    table: Table

    def subject(self) -> tuple[str | None, str]:
        return (self.table.database, self.table.name)

    def describe(self) -> str:
        return f"Creating table '{self.table.name}'"


@attrs.frozen(kw_only=True)
class DropTable(TableOperation):
    """Drop a table and all its data."""

    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"Dropping table '{self.table}'"


@attrs.frozen(kw_only=True)
class AddTableColumn(TableOperation):
    """Add a column after ``after_column`` (None: first)."""

    column: Column
    after_column: str | None = None

    def describe(self) -> str:
        return f"Adding column '{self.column.name}' to table '{self.table}'"


@attrs.frozen(kw_only=True)
class DropTableColumn(TableOperation):
    """Drop a column and its data."""

    destructive: ClassVar[bool] = True
    column_name: str

    def describe(self) -> str:
        return f"Dropping column '{self.column_name}' from table '{self.table}'"


@attrs.frozen(kw_only=True)
class ModifyTableColumn(TableOperation):
    """Change a column's type or properties (a type change runs as a mutation)."""

    before_column: Column
    after_column: Column

    def describe(self) -> str:
        return f"Modifying column '{self.after_column.name}' in table '{self.table}'"


@attrs.frozen(kw_only=True)
class RenameTableColumn(TableOperation):
    """Rename a column, keeping its data."""

    before_column_name: str
    after_column_name: str

    def describe(self) -> str:
        return f"Renaming column '{self.before_column_name}' to '{self.after_column_name}' in table '{self.table}'"


@attrs.frozen(kw_only=True)
class ModifyTableSettings(TableOperation):
    """Set changed or added settings and reset removed ones."""

    before_settings: dict[str, str] | None = None
    after_settings: dict[str, str] | None = None

    def describe(self) -> str:
        return f"Modifying settings for table '{self.table}'"


@attrs.frozen(kw_only=True)
class ModifyTableTtl(TableOperation):
    """Set (``after``) or remove (``after`` None) the table TTL; expressions have no leading ``TTL``."""

    before: str | None = None
    after: str | None = None

    def describe(self) -> str:
        verb = "Removing" if self.after is None else "Modifying"
        return f"{verb} TTL of table '{self.table}'"


@attrs.frozen(kw_only=True)
class AddTableIndex(TableOperation):
    """Add a data-skipping index."""

    index: TableIndex

    def describe(self) -> str:
        return f"Adding index '{self.index.name}' to table '{self.table}'"


@attrs.frozen(kw_only=True)
class DropTableIndex(TableOperation):
    """Drop a data-skipping index."""

    index_name: str

    def describe(self) -> str:
        return f"Dropping index '{self.index_name}' from table '{self.table}'"


@attrs.frozen(kw_only=True)
class AddTableProjection(TableOperation):
    """Add a projection."""

    projection: TableProjection

    def describe(self) -> str:
        return f"Adding projection '{self.projection.name}' to table '{self.table}'"


@attrs.frozen(kw_only=True)
class DropTableProjection(TableOperation):
    """Drop a projection."""

    projection_name: str

    def describe(self) -> str:
        return f"Dropping projection '{self.projection_name}' from table '{self.table}'"


@attrs.frozen(kw_only=True)
class ModifySampleBy(TableOperation):
    """Set the SAMPLE BY expression."""

    expression: str

    def describe(self) -> str:
        return f"Modifying SAMPLE BY of table '{self.table}'"


@attrs.frozen(kw_only=True)
class RemoveSampleBy(TableOperation):
    """Remove the SAMPLE BY expression."""

    def describe(self) -> str:
        return f"Removing SAMPLE BY from table '{self.table}'"


@attrs.frozen(kw_only=True)
class CreateView(Operation):
    """Create a plain view."""

    name: str
    select_sql: str
    database: str | None = None

    def subject(self) -> tuple[str | None, str]:
        return (self.database, self.name)

    def describe(self) -> str:
        return f"Creating view '{self.name}'"


@attrs.frozen(kw_only=True)
class DropView(Operation):
    """Drop a plain view."""

    destructive: ClassVar[bool] = True
    name: str
    database: str | None = None

    def subject(self) -> tuple[str | None, str]:
        return (self.database, self.name)

    def describe(self) -> str:
        return f"Dropping view '{self.name}'"


@attrs.frozen(kw_only=True)
class CreateMaterializedView(Operation):
    """Create a materialized view writing into ``target_table``."""

    name: str
    select_sql: str
    target_table: str
    database: str | None = None
    target_database: str | None = None

    def subject(self) -> tuple[str | None, str]:
        return (self.database, self.name)

    def describe(self) -> str:
        return f"Creating materialized view '{self.name}' -> table '{self.target_table}'"


@attrs.frozen(kw_only=True)
class DropMaterializedView(Operation):
    """Drop a materialized view (its target table and data stay)."""

    destructive: ClassVar[bool] = True
    name: str
    database: str | None = None

    def subject(self) -> tuple[str | None, str]:
        return (self.database, self.name)

    def describe(self) -> str:
        return f"Dropping materialized view '{self.name}'"


@attrs.frozen(kw_only=True)
class RawSql(Operation):
    """Statements run in order, as written (the escape hatch; backfills are written as RawSql)."""

    sql: tuple[str, ...]
    description: str = ""

    def subject(self) -> tuple[str | None, str]:
        return (None, f"raw-sql:{self.description}")

    def describe(self) -> str:
        return self.description or f"Running {len(self.sql)} SQL statement(s)"


@attrs.frozen(kw_only=True)
class RecreateTableWithCopy(Operation):
    """Recreate a table whose change ALTER cannot make (a key column's type, the ORDER BY, the engine), keeping
    its rows: ``table`` is created beside ``before`` under a temporary name, the rows are copied with each
    column converted, the row counts compared, then the two tables exchanged and the old one dropped. Running it
    again after a failure starts over from the copy; until the exchange the table is untouched."""

    destructive: ClassVar[bool] = True
    before: Table
    table: Table
    reason: str = attrs.field(default="", eq=False)
    """Why ALTER cannot make the change, for reviewers (not compared: a delta file does not keep it)."""

    def subject(self) -> tuple[str | None, str]:
        return (self.table.database, self.table.name)

    def describe(self) -> str:
        return f"Recreating table '{self.table.name}' with a copy of its rows"


@attrs.frozen(kw_only=True)
class CreateDictionary(Operation):
    """Create a dictionary from its full definition (the rows load from the source when first used)."""

    dictionary: Dictionary

    def subject(self) -> tuple[str | None, str]:
        return (self.dictionary.database, self.dictionary.name)

    def describe(self) -> str:
        return f"Creating dictionary '{self.dictionary.name}'"


@attrs.frozen(kw_only=True)
class ReplaceDictionary(Operation):
    """Replace a dictionary's definition in one statement (``before`` is what the database has): lookups keep
    working, the dictionary reloads from its source; no source table loses a row."""

    before: Dictionary
    after: Dictionary

    def subject(self) -> tuple[str | None, str]:
        return (self.after.database, self.after.name)

    def describe(self) -> str:
        return f"Replacing dictionary '{self.after.name}'"


@attrs.frozen(kw_only=True)
class DropDictionary(Operation):
    """Drop a dictionary (its source tables and their rows stay); lookups through it fail afterwards."""

    destructive: ClassVar[bool] = True
    name: str
    database: str | None = None
    cluster_name: str | None = None

    def subject(self) -> tuple[str | None, str]:
        return (self.database, self.name)

    def describe(self) -> str:
        return f"Dropping dictionary '{self.name}'"


@attrs.frozen(kw_only=True)
class AddTableConstraint(TableOperation):
    """Add a table constraint (``CHECK`` applies to rows inserted from now on; stored rows are not checked)."""

    constraint: TableConstraint

    def describe(self) -> str:
        return f"Adding constraint '{self.constraint.name}' to table '{self.table}'"


@attrs.frozen(kw_only=True)
class DropTableConstraint(TableOperation):
    """Drop a table constraint (no data changes)."""

    constraint_name: str

    def describe(self) -> str:
        return f"Dropping constraint '{self.constraint_name}' from table '{self.table}'"


@attrs.frozen(kw_only=True)
class CreateSqlResource(Operation):
    """Run a SQL resource's setup statements, in order."""

    resource: SqlResource

    def subject(self) -> tuple[str | None, str]:
        return (None, f"sql-resource:{self.resource.name}")

    def describe(self) -> str:
        return f"Running setup SQL for resource '{self.resource.name}'"


@attrs.frozen(kw_only=True)
class DropSqlResource(Operation):
    """Run a SQL resource's teardown statements, in order (whatever its setup made is removed, data included)."""

    destructive: ClassVar[bool] = True
    resource: SqlResource

    def subject(self) -> tuple[str | None, str]:
        return (None, f"sql-resource:{self.resource.name}")

    def describe(self) -> str:
        return f"Running teardown SQL for resource '{self.resource.name}'"


#: The built-in operation types, by their plan-file name.
BUILTIN_OPERATIONS: dict[str, type[Operation]] = {cls.__name__: cls for cls in (
    CreateTable, DropTable, AddTableColumn, DropTableColumn, ModifyTableColumn, RenameTableColumn,
    ModifyTableSettings, ModifyTableTtl, AddTableIndex, DropTableIndex, AddTableProjection, DropTableProjection,
    ModifySampleBy, RemoveSampleBy, CreateView, DropView, CreateMaterializedView, DropMaterializedView, RawSql,
    RecreateTableWithCopy, CreateDictionary, ReplaceDictionary, DropDictionary, AddTableConstraint,
    DropTableConstraint, CreateSqlResource, DropSqlResource,
)}
