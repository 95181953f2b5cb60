"""Ingestion, as Moose declares it: ``IngestApi`` (an HTTP endpoint writing to a stream) and ``IngestPipeline``
(a table, a stream feeding it, a dead-letter queue and an ingest API, made together).

The pipeline's table and streams are declared like any other (muskox plans and applies them); the ingest API is
recorded in the infra map, as Moose encodes it, and served by the application, never by muskox.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from muskox.declare.config_checks import config_class, optional_string
from muskox.declare.engines import MergeEngine
from muskox.declare.errors import DeclarationError
from muskox.declare.location import caller_location, placed, prefix
from muskox.declare.moose_encoding import api_key, ingest_path, json_schema, metadata_json
from muskox.declare.olap_config import OlapConfig
from muskox.declare.olap_table import OlapTable
from muskox.declare.registry import active_registry, display_base
from muskox.declare.schema import columns_of
from muskox.declare.stream import DeadLetterQueue, Stream, StreamConfig
from muskox.declare.typed import ModelTyped
from muskox.model.recorded import RecordedResource, RecordedStatus
from muskox.model.table import LifeCycle, version_suffix

T = TypeVar("T")


@config_class
@attrs.define(kw_only=True)
class IngestConfig:
    """An ingest API's options: ``version``, a custom ``path`` (under ``ingest/``) and ``metadata``."""

    version: str | None = None
    path: str | None = None
    metadata: dict[str, Any] | None = None


@attrs.define
class IngestConfigWithDestination(Generic[T]):
    """An ingest API's options with the stream it writes to (and the dead-letter queue of rejected records)."""

    destination: Stream[T]
    dead_letter_queue: DeadLetterQueue[T] | None = None
    version: str | None = None
    path: str | None = None
    metadata: dict[str, Any] | None = None


class IngestApi(ModelTyped[T], Generic[T]):
    """An HTTP endpoint that accepts records of ``T`` and writes them to a stream (recorded; the application
    serves it)."""

    kind: str = "IngestApi"

    def __init__(self, name: str, config: IngestConfigWithDestination[T], *, t: type[T] | None = None) -> None:
        self.location = caller_location()
        here = prefix(self.location, display_base())
        if t is None:
            raise DeclarationError(f"{here}IngestApi {name!r}: no schema class",
                                   f'write IngestApi[Model]("{name}", ...)')
        if not isinstance(config, IngestConfigWithDestination) or not isinstance(config.destination, Stream):
            raise DeclarationError(f"{here}IngestApi {name!r}: config must be IngestConfigWithDestination(destination="
                                   f"<Stream>, ...)", "pass the stream the API writes to")
        self.name = name
        self.config = config
        self.model_type: type[T] = t
        self.metadata = config.metadata
        registry = active_registry()
        if registry is not None:
            registry.add_recorded("IngestApi", name, self)

    def to_recorded(self, *, project_dir: Path | None = None, **_: Any) -> RecordedResource:
        """The API as Moose's infra map writes it under ``api_endpoints``."""
        config = self.config
        destination = config.destination
        path = ingest_path(self.name, config.path, config.version)
        value: dict[str, Any] = {
            "name": self.name,
            "api_type": {"INGRESS": {
                "target_topic_id": destination.name + version_suffix(destination.config.version),
                "data_model": None,
                "dead_letter_queue": None if config.dead_letter_queue is None else config.dead_letter_queue.name,
                "schema": json_schema(self.model_type),
            }},
            "path": path,
            "method": "POST",
            "version": config.version,
            "source_primitive": {"name": self.name, "primitive_type": "DataModel"},
            "metadata": metadata_json(self.metadata),
            "pulls_data_from": [],
            "pushes_data_to": [],
        }
        return RecordedResource(section="api_endpoints", key=api_key("INGRESS", self.name, config.version),
                                kind="ingest API", name=path, status=RecordedStatus.SERVED_ELSEWHERE, value=value)

    def __repr__(self) -> str:
        return f"IngestApi({self.name!r})"


@config_class
@attrs.define(kw_only=True)
class IngestPipelineConfig:
    """Which parts an ``IngestPipeline`` makes: ``True`` for the default, ``False`` for none, or the part's config
    (``OlapConfig``, ``StreamConfig``, ``IngestConfig``; ``dead_letter_queue`` takes a ``StreamConfig``).
    ``version``, ``path``, ``metadata`` and ``life_cycle`` apply to the parts made with defaults."""

    table: bool | OlapConfig = True
    stream: bool | StreamConfig = True
    ingest_api: bool | IngestConfig = True
    dead_letter_queue: bool | StreamConfig = True
    version: str | None = None
    path: str | None = None
    metadata: dict[str, Any] | None = None
    life_cycle: LifeCycle | None = None
    ingest: bool | IngestConfig | None = None
    """Deprecated name of ``ingest_api``."""

    def _normalize(self) -> None:
        if self.ingest is not None:
            warnings.warn("IngestPipelineConfig(ingest=...) is deprecated; use ingest_api=...",
                          DeprecationWarning, stacklevel=4)
            self.ingest_api, self.ingest = self.ingest, None
        self.version = optional_string(self.version, "IngestPipelineConfig.version")
        for name, cls in (("table", OlapConfig), ("stream", StreamConfig), ("ingest_api", IngestConfig),
                          ("dead_letter_queue", StreamConfig)):
            value = getattr(self, name)
            if not isinstance(value, bool | cls):
                raise DeclarationError(f"IngestPipelineConfig.{name}: expected True, False or {cls.__name__}(...), "
                                       f"got {value!r}", f"write {name}=True or {name}={cls.__name__}(...)")
        if isinstance(self.life_cycle, str):
            self.life_cycle = LifeCycle(self.life_cycle)


class IngestPipeline(ModelTyped[T], Generic[T]):
    """A table, a stream writing to it, a dead-letter queue and an ingest API for records of ``T``, all named
    ``name`` (the dead-letter queue ``<name>DeadLetterQueue``), made as Moose makes them."""

    table: OlapTable[T] | None
    stream: Stream[T] | None
    dead_letter_queue: DeadLetterQueue[T] | None
    ingest_api: IngestApi[T] | None
    metadata: dict[str, Any] | None
    kind: str = "IngestPipeline"

    def __init__(self, name: str, config: IngestPipelineConfig, *, t: type[T] | None = None) -> None:
        self.location = caller_location()
        here = prefix(self.location, display_base())
        if t is None:
            raise DeclarationError(f"{here}IngestPipeline {name!r}: no schema class",
                                   f'write IngestPipeline[Model]("{name}", IngestPipelineConfig(...))')
        if not isinstance(config, IngestPipelineConfig):
            raise DeclarationError(f"{here}IngestPipeline {name!r}: config must be an IngestPipelineConfig, got "
                                   f"{type(config).__name__}", "pass IngestPipelineConfig(...)")
        self.name = name
        self.config = config
        self.model_type: type[T] = t
        self.metadata = config.metadata
        self.table: OlapTable[T] | None = None
        self.stream: Stream[T] | None = None
        self.dead_letter_queue: DeadLetterQueue[T] | None = None
        self.ingest_api: IngestApi[T] | None = None
        try:
            self._make_parts(name, config, t)
        except DeclarationError as exc:
            raise placed(exc, self.location, display_base(), f"IngestPipeline {name!r}") from None

    def _make_parts(self, name: str, config: IngestPipelineConfig, t: type[T]) -> None:
        # The order and the config each part gets are Moose's (moose-lib 0.6.533): a part's own config is used
        # as given (only version and metadata are set on it); parts made from True get the pipeline's lifecycle.
        if config.table:
            table_config = config.table if isinstance(config.table, OlapConfig) \
                else OlapConfig(life_cycle=config.life_cycle)
            if isinstance(table_config.engine, MergeEngine):
                raise DeclarationError("a Merge engine table is read-only and cannot be a pipeline's table",
                                       "use a MergeTree-family engine, or set table=False")
            if config.version:
                table_config.version = config.version
            table_config.metadata = config.metadata
            self.table = OlapTable(name, table_config, t=t)
        if config.dead_letter_queue:
            dlq_config = StreamConfig() if config.dead_letter_queue is True else config.dead_letter_queue
            if config.version:
                dlq_config.version = config.version
            dlq_config.metadata = config.metadata
            self.dead_letter_queue = DeadLetterQueue(f"{name}DeadLetterQueue", dlq_config, t=t)
        if config.stream:
            stream_config = config.stream if isinstance(config.stream, StreamConfig) \
                else StreamConfig(life_cycle=config.life_cycle)
            if config.table and stream_config.destination is not None:
                raise DeclarationError("the stream's destination is the pipeline's own table",
                                       "leave StreamConfig.destination out")
            stream_config.destination = self.table
            if self.dead_letter_queue is not None:
                stream_config.default_dead_letter_queue = self.dead_letter_queue
            if config.version:
                stream_config.version = config.version
            stream_config.metadata = config.metadata
            self.stream = Stream(name, stream_config, t=t)
        if config.ingest_api:
            if self.stream is None:
                raise DeclarationError("an ingest API needs a stream to write to", "set stream=True")
            ingest = IngestConfig() if config.ingest_api is True else config.ingest_api
            self.ingest_api = IngestApi(name, IngestConfigWithDestination(
                destination=self.stream, dead_letter_queue=self.dead_letter_queue,
                version=config.version or ingest.version, path=config.path or ingest.path,
                metadata=config.metadata), t=t)

    def get_table(self) -> OlapTable[T]:
        """The pipeline's table."""
        return self._part(self.table, "Table")  # type: ignore[no-any-return]

    def get_stream(self) -> Stream[T]:
        """The pipeline's stream."""
        return self._part(self.stream, "Stream")  # type: ignore[no-any-return]

    def get_dead_letter_queue(self) -> DeadLetterQueue[T]:
        """The pipeline's dead-letter queue."""
        return self._part(self.dead_letter_queue, "DLQ")  # type: ignore[no-any-return]

    def get_ingest_api(self) -> IngestApi[T]:
        """The pipeline's ingest API."""
        return self._part(self.ingest_api, "Ingest API")  # type: ignore[no-any-return]

    def _part(self, part: Any, what: str) -> Any:
        if part is None:
            raise DeclarationError(f"IngestPipeline {self.name!r}: {what} was not configured for this pipeline",
                                   "enable it in IngestPipelineConfig")
        return part

    def column_models(self) -> tuple[Any, ...]:
        """The columns of ``T``."""
        return columns_of(self.model_type)

    def __repr__(self) -> str:
        return f"IngestPipeline({self.name!r})"
