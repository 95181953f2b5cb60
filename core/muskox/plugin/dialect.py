"""What the core needs from an OLAP backend's SQL dialect, as one interface: :class:`Dialect`.

The core is backend-neutral: it knows Moose's model (tables, columns, engines, views) but not how a database
writes, reads back or compares them. Everything that depends on the database's syntax and behaviour comes through
a :class:`Dialect`: quoting, type text, engine text, the normalization that makes a declared and an introspected
resource comparable, which changes can be made in place, and the few statements the core itself writes (a
version bump's backfill).

An OLAP backend class exposes its dialect as the class attribute ``dialect`` (reachable without connecting); the
core takes it from :meth:`muskox.plugin.manager.Plugins.dialect` and passes it explicitly down the pipeline
(collection, differ, planner, drift checks, plan-file codec, state hash). Dialect objects hold no state and may
be shared by threads; their methods are pure functions of their arguments.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from muskox.model.dictionary import Dictionary
from muskox.model.engines import Engine
from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, View, normalize_topic
from muskox.model.table import Column, Table
from muskox.model.types import DataType

if TYPE_CHECKING:
    from muskox.model.operations import Operation

__all__ = ["Dialect", "PlannedStatement", "TableName"]


@attrs.frozen
class TableName:
    """A table's physical address: its database and (versioned) name."""

    database: str
    name: str


@attrs.frozen
class PlannedStatement:
    """One statement an operation sends, exactly as the backend sends it, for ``plan --sql``."""

    sql: str
    """The statement, without a trailing semicolon, identifiers quoted as sent."""
    settings: Mapping[str, str] = attrs.field(factory=dict)
    """The settings sent with it."""
    database: str | None = None
    """The database that is current while it runs (None: none in particular, names are qualified)."""
    only_if_missing: bool = False
    """Sent only when what it creates does not exist yet (e.g. the database of a new table): printed once."""
    note: str | None = None
    """What the backend does around it that is not SQL (e.g. waiting for the mutation it starts)."""


class Dialect(abc.ABC):
    """The SQL dialect of one OLAP backend. Subclass it and set the class attributes; every method is pure.

    Values given to the ``normalize_*`` methods are model values exactly as code declared them or introspection
    read them; the results are comparison keys (equal when the database would hold the same thing), never
    executed.
    """

    #: The backend's name, for messages (``"clickhouse"``).
    name: ClassVar[str] = ""

    #: The version of the canonical form the ``normalize_*`` methods produce. Raise it whenever a change makes
    #: some value normalize differently: values derived from normalized states (the state hash of delta mode)
    #: record it, so a mismatch can be told apart from drift.
    canonical_version: ClassVar[int] = 1

    #: Table settings that cannot change on an existing table: a change to one recreates the table, and they
    #: never appear in a settings change.
    readonly_settings: ClassVar[frozenset[str]] = frozenset()

    # -- names and literals --------------------------------------------------------------------------------

    @abc.abstractmethod
    def quote_identifier(self, name: str) -> str:
        """``name`` written as an identifier of this dialect (always quoted, any character allowed)."""

    @abc.abstractmethod
    def quote_string(self, value: str) -> str:
        """``value`` written as a string literal of this dialect."""

    def qualified_name(self, database: str | None, name: str) -> str:
        """``database.name`` with both parts quoted (just the name when ``database`` is None)."""
        quoted = self.quote_identifier(name)
        return quoted if database is None else f"{self.quote_identifier(database)}.{quoted}"

    @abc.abstractmethod
    def referenced_name(self, reference: str) -> str:
        """The object name a source-table reference points at: the last part of a (qualified, quoted or bare)
        name as :meth:`qualified_name` or a user writes it; a view is created after what it names."""

    # -- types and engines ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def render_type(self, data_type: DataType) -> str:
        """The text of a column type, as the database prints it (for DDL, messages and the plan files'
        encoding of types Moose's vocabulary cannot express)."""

    def render_column_type(self, column: Column) -> str:
        """A column's full type as the database writes it, nullability included (for plan listings). The
        default marks a nullable column's :meth:`render_type` with ``(nullable)``."""
        text = self.render_type(column.data_type)
        return f"{text} (nullable)" if column.nullable else text

    @abc.abstractmethod
    def parse_type(self, text: str) -> DataType:
        """Read type text written as :meth:`render_type` writes it, or as the database prints it.

        :raises muskox.model.types.TypeSyntaxError: the text is not a type of this dialect.
        """

    @abc.abstractmethod
    def render_engine(self, engine: Engine) -> str:
        """A table engine with its arguments, as the database writes it (for DDL and messages)."""

    # -- comparison ------------------------------------------------------------------------------------------

    #: The values of ``migration_config.ignore_operations`` the ``normalize_*`` methods accept.
    ignorable_operations: ClassVar[frozenset[str]] = frozenset()

    @abc.abstractmethod
    def normalize_table(self, table: Table, *, default_database: str | None = None,
                        ignore_operations: Collection[str] = frozenset()) -> Table:
        """The comparable form of ``table``.

        :param default_database: what ``database=None`` means; with None the database is left as given.
        :param ignore_operations: kinds of difference to ignore (``migration_config.ignore_operations``).
        :raises ValueError: an ``ignore_operations`` value not in :attr:`ignorable_operations`.
        """

    @abc.abstractmethod
    def normalize_view(self, view: View, *, default_database: str) -> View:
        """The comparable form of ``view`` (its database filled in with ``default_database`` when None)."""

    @abc.abstractmethod
    def normalize_materialized_view(self, view: MaterializedView, *, default_database: str) -> MaterializedView:
        """The comparable form of ``view`` (databases filled in with ``default_database`` when None)."""

    def normalize_dictionary(self, dictionary: Dictionary, *, default_database: str) -> Dictionary:
        """The comparable form of ``dictionary`` (its database filled in with ``default_database`` when None):
        a dictionary read from the database (``server_sql`` set) and one declared in code compare equal when the
        database holds what the code declares. The default compares Moose's encodings without lifecycle and
        metadata (a backend with dictionaries compares the statements)."""
        encoding = {k: v for k, v in dictionary.encoding.items() if k not in ("lifeCycle", "metadata", "database")}
        return Dictionary(name=dictionary.name, database=dictionary.database or default_database,
                          definition=json.dumps(encoding, sort_keys=True), server_sql=dictionary.server_sql)

    def describe_dictionary(self, dictionary: Dictionary) -> Dictionary:
        """``dictionary`` with Moose's encoding (columns, primary key, source, layout, lifetime) read from the
        statement the database reports (:attr:`~Dictionary.server_sql`) where the backend can read it
        (``muskox ls``, ``muskox db pull``). The default returns it unchanged."""
        return dictionary

    def normalize_infra_map(self, infra_map: InfraMap, *, ignore_operations: Collection[str] = frozenset()) -> InfraMap:
        """Every resource of ``infra_map`` in comparable form (same keys and ``default_database``); topics, which
        belong to the stream backend, through :func:`muskox.model.resources.normalize_topic`."""
        default = infra_map.default_database
        return InfraMap(
            default_database=default,
            tables={key: self.normalize_table(t, default_database=default, ignore_operations=ignore_operations)
                    for key, t in infra_map.tables.items()},
            views={key: self.normalize_view(v, default_database=default) for key, v in infra_map.views.items()},
            materialized_views={key: self.normalize_materialized_view(m, default_database=default)
                                for key, m in infra_map.materialized_views.items()},
            topics={key: normalize_topic(t) for key, t in infra_map.topics.items()},
            dictionaries={key: self.normalize_dictionary(d, default_database=default)
                          for key, d in infra_map.dictionaries.items()},
            sql_resources=dict(infra_map.sql_resources),
            extensions={kind: dict(objects) for kind, objects in infra_map.extensions.items() if objects},
        )

    # -- what can change in place --------------------------------------------------------------------------

    @abc.abstractmethod
    def recreate_reason(self, before: Table, after: Table) -> str | None:
        """Why turning ``before`` into ``after`` (both normalized, and different) needs the table dropped and
        created again, in a few words (``"ORDER BY changed"``); None when it can be altered in place."""

    @abc.abstractmethod
    def convertible(self, before: DataType, after: DataType) -> bool:
        """Whether a column's type can be changed from ``before`` to ``after`` in place for some data (else the
        column is dropped and added again)."""

    @abc.abstractmethod
    def widens(self, before: DataType, after: DataType) -> bool:
        """Whether changing a column from ``before`` to ``after`` keeps every value (a change that does not is
        reported as risky)."""

    def can_copy_rows(self, before: Table, after: Table) -> bool:
        """Whether a table that must be recreated (:meth:`recreate_reason`) can keep its rows: the backend
        creates ``after`` beside ``before``, copies the rows converting each column, checks the row counts and
        swaps the two (the ``RecreateTableWithCopy`` operation). The default is False: a plain drop and create."""
        return False

    # -- what expressions reference ----------------------------------------------------------------------------

    def identifiers(self, expression: str) -> frozenset[str]:
        """The identifiers ``expression`` (a TTL, a key, an index expression, a default, a projection body)
        mentions, unquoted, without function names and keywords: the columns it may reference. The planner orders
        a column's drop after the removal of every expression naming it, and its addition before every new
        one. The default finds none (no ordering by references)."""
        return frozenset()

    def engine_dependencies(self, table: Table) -> frozenset[str]:
        """The names of the tables ``table``'s engine reads or writes (a ``Distributed`` table's local table,
        say): the planner creates those before it and drops them after it. The default finds none."""
        return frozenset()

    # -- statements the core writes --------------------------------------------------------------------------

    @abc.abstractmethod
    def copy_rows_sql(self, source: TableName, target: TableName, columns: Sequence[str] | None = None) -> str:
        """One statement copying the rows of ``source`` into ``target``: the values of ``columns`` into the
        columns of the same names (every column of ``source``, in order, when None)."""

    def aggregate_query_sql(self, function: str, column: str, source: str) -> str:
        """A query reading one aggregate of ``column`` from ``source`` (a name as :meth:`qualified_name` writes
        it): what Moose records as a dictionary's invalidation query. The default raises: backends without
        dictionaries need not implement it."""
        raise NotImplementedError(f"the {self.name or type(self).__name__} dialect has no aggregate queries")

    def statements(self, operation: Operation, default_database: str) -> list[PlannedStatement]:
        """The statements applying ``operation``, in order, exactly as the backend's ``apply`` sends them (``plan
        --sql``); ``default_database`` is the database of objects whose ``database`` is None. The default raises
        NotImplementedError: ``--sql`` then says the backend cannot show its SQL.

        :raises muskox.errors.MuskoxError: for an operation the backend cannot apply."""
        raise NotImplementedError(f"the {self.name or type(self).__name__} dialect cannot show its statements")

    # -- Moose's API helpers that write this backend's SQL ---------------------------------------------------

    def moose_api(self) -> Mapping[str, Callable[..., Any]]:
        """Functions of Moose's Python API that only produce this backend's SQL text (``moose_lib.blocks``'
        ``create_table``, ``drop_view``, …, the query-parameter type of a value), by name. The compatibility
        layer (:mod:`muskox.declare.moose_compat`) offers them to projects; a name the dialect does not provide
        is reported as missing when a project uses it. The default provides none."""
        return {}

