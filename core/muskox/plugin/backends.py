"""The backends of one command: the OLAP backend, and the stream backend opened only when topics are involved.

Every operation names the kind of backend that owns it (:attr:`muskox.model.operations.Operation.backend`:
``"olap"`` for tables and views, ``"stream"`` for topics); :meth:`Backends.apply` routes it there. The stream
backend is created the first time it is needed — to introspect topics the code declares or the stored state
remembers, or to apply a topic operation — so a project without streams never needs a broker (nor the
muskox-redpanda plugin).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self

import attrs

from muskox.errors import PluginError

if TYPE_CHECKING:  # the model is loaded by whoever builds maps (after a command's schema reading has started)
    from muskox.config import Config
    from muskox.model.extensions import Extensions
    from muskox.model.infra_map import InfraMap
    from muskox.model.operations import Operation
    from muskox.plugin.dialect import Dialect
    from muskox.plugin.interfaces import ResourceBackend, StreamBackend
    from muskox.plugin.manager import Plugins

OLAP_BACKEND = "clickhouse"
STREAM_BACKEND = "redpanda"


def topic_names(*maps: InfraMap | None) -> set[str]:
    """The physical names of every topic in ``maps`` (the ones worth asking the broker about)."""
    return {topic.name for infra in maps if infra is not None for topic in infra.topics.values()}


class Backends:
    """The OLAP backend (always) and the stream backend (on first need), with one ``apply`` for both."""

    def __init__(self, olap: Any, open_stream: Callable[[], StreamBackend] | None, *,
                 streams_enabled: bool = True,
                 open_resource: Callable[[str], ResourceBackend] | None = None) -> None:
        """:param olap: the OLAP backend (``database``, ``introspect()``, ``apply(op)``, ``close()``).
        :param open_stream: builds the stream backend; None when there is none to build.
        :param streams_enabled: ``[features] streaming_engine``; when False, topics are never introspected.
        :param open_resource: builds the resource backend of a name (plugins' extra kinds of objects).
        """
        self.olap = olap
        self._open_stream = open_stream
        self._stream: StreamBackend | None = None
        self.streams_enabled = streams_enabled
        self._open_resource = open_resource
        self._resources: dict[str, ResourceBackend] = {}
        self._resource_lock = threading.Lock()

    @property
    def database(self) -> str:
        """The OLAP backend's primary database."""
        database: str = self.olap.database
        return database

    @property
    def dialect(self) -> Dialect:
        """The OLAP backend's SQL dialect (see :meth:`muskox.plugin.interfaces.OlapBackend.dialect`)."""
        dialect: Dialect = self.olap.dialect()
        return dialect

    @property
    def stream(self) -> StreamBackend:
        """The stream backend, created on first use."""
        if self._stream is None:
            if self._open_stream is None:
                raise PluginError("topics are involved, but no stream backend is configured",
                                  "pip install muskox-redpanda")
            self._stream = self._open_stream()
        return self._stream

    def prefetch(self) -> None:
        """Let the OLAP backend start reading the schema in the background (see
        :meth:`muskox.plugin.interfaces.OlapBackend.prefetch`); the next :meth:`introspect` returns what it read."""
        prefetch = getattr(self.olap, "prefetch", None)
        if prefetch is not None:
            prefetch()

    def introspect(self, *known: InfraMap | None) -> InfraMap:
        """The OLAP backend's objects, and the topics named in any of ``known`` (the stored state, the code,
        a plan's snapshot) that exist on the broker. Without topics to look for, the broker is not contacted.
        The OLAP backend also reads every database an object of ``known`` lives in (:mod:`muskox.plugin.databases`),
        so an object created in a database outside its configured ones is seen, and plans converge."""
        from muskox.plugin.databases import databases_to_read

        databases = databases_to_read(self.olap, *known)
        reality: InfraMap = self.olap.introspect() if databases is None else self.olap.introspect(databases)
        names = topic_names(*known) if self.streams_enabled else set()
        if names:
            reality = attrs.evolve(reality, topics=self.stream.introspect(sorted(names)))
        extensions = self._introspect_extensions(*known)
        return attrs.evolve(reality, extensions=extensions) if extensions else reality

    def _introspect_extensions(self, *known: InfraMap | None) -> Extensions:
        """The objects of plugins' kinds named in any of ``known``, as their resource backends report them
        (a backend is built only for a kind that has such objects)."""
        wanted: dict[str, set[str]] = {}
        for infra in known:
            for kind, objects in (infra.extensions.items() if infra is not None else ()):
                wanted.setdefault(kind, set()).update(objects)
        found: Extensions = {}
        for kind, names in sorted(wanted.items()):
            if names:
                reported = self.resource(kind).introspect(sorted(names))
                found[kind] = {name: dict(spec) for name, spec in sorted(reported.items())}
        return found

    def rehearse(self, operations: Sequence[Operation], current: InfraMap) -> list[str]:
        """The OLAP backend's rehearsal of its operations (:meth:`muskox.plugin.interfaces.OlapBackend.rehearse`);
        a backend without the method rehearses nothing."""
        rehearse = getattr(self.olap, "rehearse", None)
        if rehearse is None:
            return []
        problems: list[str] = rehearse([op for op in operations if op.backend == "olap"], current)
        return problems

    def begin_apply(self, operations: Sequence[Operation]) -> None:
        """Show the OLAP backend a run's operations before any executes: it may check what they need (every
        node of a cluster answering, say) and raise, and then nothing has run."""
        begin = getattr(self.olap, "begin_apply", None)
        if begin is not None:
            begin(operations)

    def apply(self, operation: Operation) -> None:
        """Apply one operation through the backend that owns it (the executor's ``apply_one``): ``olap``,
        ``stream``, or the resource backend a plugin registered under the operation's ``backend`` name."""
        kind: str = operation.backend
        if kind == "stream":
            self.stream.apply(operation)
        elif kind == "olap":
            self.olap.apply(operation)
        else:
            self.resource(kind).apply(operation)

    def resource(self, name: str) -> ResourceBackend:
        """The resource backend ``name`` (``muskox_register_resource_backends``), built on first use."""
        with self._resource_lock:
            if name not in self._resources:
                if self._open_resource is None:
                    raise PluginError(f"an operation needs the resource backend '{name}', but none is configured",
                                      f"install the plugin that provides the '{name}' operations")
                self._resources[name] = self._open_resource(name)
            return self._resources[name]

    def close(self) -> None:
        """Close every backend that was opened. Safe to call twice."""
        stream, self._stream = self._stream, None
        resources, self._resources = list(self._resources.values()), {}
        try:
            for resource in resources:
                resource.close()
            if stream is not None:
                stream.close()
        finally:
            self.olap.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def olap_dialect(plugins: Plugins) -> Dialect:
    """The dialect of the OLAP backend muskox uses (no connection is made)."""
    return plugins.olap_backend(OLAP_BACKEND).dialect()


def open_backends(plugins: Plugins, config: Config) -> Backends:
    """The backends for ``config``: ``[clickhouse_config]`` and ``[redpanda_config]`` (flags already merged)."""
    olap = plugins.olap_backend(OLAP_BACKEND).from_config(config)

    def open_stream() -> StreamBackend:
        backend: StreamBackend = plugins.stream_backend(STREAM_BACKEND).from_config(config)
        return backend

    def open_resource(name: str) -> ResourceBackend:
        return plugins.resource_backend(name).from_config(config)

    return Backends(olap, open_stream, streams_enabled=config.features.streaming_engine,
                    open_resource=open_resource)

