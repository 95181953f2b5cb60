"""The declarations made while collecting one project, bound to the running context (no global state).

``with collecting(Registry(default_database="local")) as registry:`` makes every ``OlapTable``, ``View`` and
``MaterializedView`` constructed inside the block register itself in ``registry``. Outside such a block,
declarations are plain objects and register nowhere, so importing a project's module (in a test, say)
leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from muskox.declare.errors import DeclarationError
from muskox.declare.location import SourceLocation
from muskox.model.infra_map import InfraMap

if TYPE_CHECKING:
    from muskox.declare.materialized_view import MaterializedView
    from muskox.declare.olap_table import OlapTable
    from muskox.declare.stream import Stream
    from muskox.declare.view import View
    from muskox.model.codec import ModelCodec
    from muskox.plugin.dialect import Dialect

_CURRENT: ContextVar[Registry | None] = ContextVar("muskox_declare_registry", default=None)


class Registry:
    """The tables, views, materialized views and streams declared during one collection, in declaration order.

    ``topic_namespace`` (``redpanda_config.namespace``) prefixes the physical name of every stream's topic;
    ``dialect`` (the OLAP backend's) reads exact types (``clickhouse_type("…")``) and quotes view sources.
    """

    def __init__(self, default_database: str, project_dir: Path | None = None,
                 topic_namespace: str | None = None, dialect: Dialect | None = None) -> None:
        self.default_database = default_database
        self.dialect = dialect
        """None: the dialect of the OLAP backend the installed plugins provide (see :func:`declaring_dialect`)."""
        self.project_dir = None if project_dir is None else project_dir.resolve()
        self.topic_namespace = topic_namespace or None
        self.tables: list[OlapTable[Any]] = []
        self.views: list[View] = []
        self.materialized_views: list[MaterializedView[Any]] = []
        self.streams: list[Stream[Any]] = []
        self.recorded: dict[str, list[Any]] = {}
        """Declarations muskox only records, by kind (``IngestApi``, ``Api``, ``Workflow``, ``WebApp``,
        ``SqlResource``, ``OlapDictionary``), in declaration order."""
        self._recorded_names: dict[tuple[str, str], SourceLocation | None] = {}
        self._names: dict[tuple[str, str], tuple[str, SourceLocation | None]] = {}
        self._topic_names: dict[str, SourceLocation | None] = {}

    def _claim(self, kind: str, database: str | None, name: str, location: SourceLocation | None) -> None:
        key = (database or self.default_database, name)
        if key in self._names:
            other_kind, other = self._names[key]
            raise DeclarationError(
                f"{key[1]!r} is declared twice in database {key[0]}: {other_kind} at {self._place(other)} "
                f"and {kind} at {self._place(location)}",
                "rename one of them, give the table another version, or put it in another database",
            )
        self._names[key] = (kind, location)

    def _place(self, location: SourceLocation | None) -> str:
        return "an unknown place" if location is None else location.display(self.project_dir)

    def add_table(self, table: OlapTable[Any]) -> None:
        """Register a table; its database and physical name (with version suffix) must be free."""
        self._claim("table", table.config.database, table.physical_name, table.location)
        self.tables.append(table)

    def add_view(self, view: View) -> None:
        """Register a view; its name must be free in its database."""
        self._claim("view", view.database, view.name, view.location)
        self.views.append(view)

    def add_materialized_view(self, view: MaterializedView[Any]) -> None:
        """Register a materialized view; its name must be free in the default database."""
        self._claim("materialized view", None, view.name, view.location)
        self.materialized_views.append(view)

    def add_stream(self, stream: Stream[Any]) -> None:
        """Register a stream; its physical topic name (namespace and version included) must be valid and free."""
        from muskox.declare.stream import check_topic_name

        name = stream.topic_name(self.topic_namespace)
        if name in self._topic_names:
            raise DeclarationError(
                f"{name!r} is declared twice: stream at {self._place(self._topic_names[name])} and stream at "
                f"{self._place(stream.location)}", "rename one of them, or give one another version")
        try:
            check_topic_name(name)
        except DeclarationError as exc:
            raise DeclarationError(f"{self._place(stream.location)}: Stream {stream.name!r}: {exc.problem} "
                                   f"(redpanda_config.namespace is {self.topic_namespace!r})",
                                   "use a namespace of letters, digits, '.', '_' and '-'") from None
        self._topic_names[name] = stream.location
        self.streams.append(stream)

    def add_recorded(self, kind: str, name: str, declaration: Any) -> None:
        """Register a declaration muskox only records; ``name`` must be free among the declarations of ``kind``."""
        location = getattr(declaration, "location", None)
        if (kind, name) in self._recorded_names:
            raise DeclarationError(
                f"{kind} {name!r} is declared twice: at {self._place(self._recorded_names[kind, name])} and at "
                f"{self._place(location)}", "rename one of them, or give one another version")
        self._recorded_names[kind, name] = location
        self.recorded.setdefault(kind, []).append(declaration)

    def infra_map(self) -> InfraMap:
        """Everything registered, as the model's :class:`InfraMap`."""
        where: dict[str, Any] = {"project_dir": self.project_dir, "default_database": self.default_database,
                                 "topic_namespace": self.topic_namespace}
        recorded = [t.to_recorded(**where) for t in self.tables if not t.engine.applied]
        recorded += [d.to_recorded(**where) for kind, declarations in self.recorded.items()
                     if kind not in ("OlapDictionary", "SqlResource") for d in declarations]
        return InfraMap.of(
            self.default_database,
            tables=[t.to_table(project_dir=self.project_dir) for t in self.tables if t.engine.applied],
            views=[v.to_view(project_dir=self.project_dir) for v in self.views],
            materialized_views=[m.to_materialized_view(project_dir=self.project_dir)
                                for m in self.materialized_views],
            topics=[s.to_topic(namespace=self.topic_namespace, project_dir=self.project_dir) for s in self.streams],
            recorded=recorded,
            dictionaries=[d.to_dictionary(**where) for d in self.recorded.get("OlapDictionary", [])],
            sql_resources=[r.to_sql_resource(**where) for r in self.recorded.get("SqlResource", [])],
        )


def active_registry() -> Registry | None:
    """The registry of the collection running in this context, if any."""
    return _CURRENT.get()


def declaring_dialect() -> Dialect:
    """The SQL dialect declarations made now are read in: the running collection's, else (a declaration made
    outside a collection, in a test say) the OLAP backend's of the installed plugins."""
    registry = _CURRENT.get()
    if registry is not None and registry.dialect is not None:
        return registry.dialect
    from muskox.plugin.backends import olap_dialect
    from muskox.plugin.manager import Plugins

    return olap_dialect(Plugins.load())


def declaring_codec() -> ModelCodec:
    """The model codec of :func:`declaring_dialect` (Moose's JSON encoding, as declarations record it)."""
    from muskox.model.codec import model_codec

    return model_codec(declaring_dialect())


def quote_identifier(name: str) -> str:
    """``name`` quoted as the declaring dialect quotes identifiers (moose-lib's ``quote_identifier``)."""
    return declaring_dialect().quote_identifier(name)


def display_base() -> Path | None:
    """The directory error messages show paths relative to (the project being collected, else the cwd)."""
    registry = _CURRENT.get()
    return None if registry is None else registry.project_dir


@contextmanager
def collecting(registry: Registry) -> Iterator[Registry]:
    """Make declarations in this block register in ``registry``."""
    token = _CURRENT.set(registry)
    try:
        yield registry
    finally:
        _CURRENT.reset(token)
