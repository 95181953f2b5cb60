"""Declarations muskox records in the infra map but does not plan or apply.

Two sorts (:class:`RecordedStatus`):

* resources muskox never applies because something else serves them — ingest and consumption APIs, workflows,
  web apps (the application started by ``muskox prod -- CMD`` runs them, as Moose's runtime does);
* ClickHouse objects muskox does not apply *yet* — none today: dictionaries, SQL resources, table constraints and
  tables with integration engines (Kafka, S3Queue, S3, Buffer, Distributed, IcebergS3, Merge) are planned and
  applied; the status stays for plugin kinds and for files written by an earlier muskox.

Each is kept as Moose encodes it in ``local_infra_map.json`` (``value``, under ``section`` and ``key``), so the
file carries every declaration and reads back unchanged. The differ never sees them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs


class RecordedStatus(enum.Enum):
    """Why muskox records a declaration without applying it."""

    SERVED_ELSEWHERE = "recorded, not applied by muskox"
    """muskox serves none of these; the application (``muskox prod -- CMD``) does."""
    NOT_YET = "muskox does not apply this kind yet"
    """A ClickHouse object muskox will plan and apply in a later version."""


#: The infra-map sections recorded resources live in, in Moose's order of the file.
SECTIONS = ("api_endpoints", "tables", "web_apps", "workflows")
"""(``olap_dictionaries`` and ``sql_resources`` are applied: :class:`muskox.model.dictionary.Dictionary`,
:class:`muskox.model.sql_resource.SqlResource`.)"""


@attrs.frozen(kw_only=True)
class RecordedResource:
    """One recorded declaration: where it goes in Moose's infra map and what Moose writes there."""

    section: str
    """The infra-map section (``api_endpoints``, ``workflows``, …)."""
    key: str
    """Its key in that section (Moose's id)."""
    kind: str
    """What it is, for people: ``ingest API``, ``workflow``, ``S3Queue table``, ``dictionary`` …"""
    name: str
    """Its name, for people (a path for APIs)."""
    status: RecordedStatus
    value: Mapping[str, Any] = attrs.field(eq=False, hash=False)
    """Moose's JSON encoding of it (compared through :attr:`value_key`)."""
    value_key: str = attrs.field(default="", repr=False)
    """The JSON text of ``value`` with sorted keys: equality of two resources is equality of their encodings."""

    def __attrs_post_init__(self) -> None:
        if not self.value_key:
            import json

            object.__setattr__(self, "value_key", json.dumps(self.value, sort_keys=True, default=str))

    @property
    def map_key(self) -> str:
        """``section/key``: unique across sections."""
        return f"{self.section}/{self.key}"

    def describe(self) -> str:
        """``ingest API ingest/events: recorded, not applied by muskox``."""
        return f"{self.kind} {self.name}: {self.status.value}"


def by_map_key(resources: Iterable[RecordedResource]) -> dict[str, RecordedResource]:
    """``{map_key: resource}`` in a stable order."""
    return dict(sorted((r.map_key, r) for r in resources))


#: Table engines muskox does not plan or apply yet: such tables are recorded. Every engine Moose 0.6.533 declares
#: (the MergeTree family and the integration engines) is planned and applied now, so this is empty; a file written
#: by an earlier muskox that recorded Kafka/S3/… tables reads them back as tables.
NOT_YET_ENGINES: frozenset[str] = frozenset()

_SERVED_KINDS = {"web_apps": "web app", "workflows": "workflow"}
_NOT_YET_KINDS: dict[str, str] = {}


def engine_tag(table: Mapping[str, Any]) -> str | None:
    """The engine name of a table in Moose's encoding (``"MergeTree"``, ``{"S3Queue": {...}}`` → ``"S3Queue"``)."""
    engine = table.get("engine")
    if isinstance(engine, str):
        return engine
    if isinstance(engine, Mapping) and len(engine) == 1:
        return str(next(iter(engine)))
    return None


def is_recorded_table(table: Mapping[str, Any]) -> bool:
    """True for a table (Moose's encoding) whose engine muskox does not apply yet."""
    return engine_tag(table) in NOT_YET_ENGINES


def read_recorded(section: str, key: str, value: Mapping[str, Any]) -> RecordedResource:
    """A recorded resource from its entry in a Moose infra map (``section``, ``key``, the entry itself)."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{section}.{key} must be a mapping, got {type(value).__name__}")
    name = str(value.get("name", key))
    if section == "tables":
        return RecordedResource(section=section, key=key, kind=f"{engine_tag(value)} table", name=name,
                                status=RecordedStatus.NOT_YET, value=value)
    if section == "api_endpoints":
        api_type = value.get("api_type")
        ingress = isinstance(api_type, Mapping) and "INGRESS" in api_type
        return RecordedResource(section=section, key=key, kind="ingest API" if ingress else "consumption API",
                                name=str(value.get("path", name)), status=RecordedStatus.SERVED_ELSEWHERE,
                                value=value)
    if section in _SERVED_KINDS:
        return RecordedResource(section=section, key=key, kind=_SERVED_KINDS[section], name=name,
                                status=RecordedStatus.SERVED_ELSEWHERE, value=value)
    if section in _NOT_YET_KINDS:
        return RecordedResource(section=section, key=key, kind=_NOT_YET_KINDS[section], name=name,
                                status=RecordedStatus.NOT_YET, value=value)
    raise ValueError(f"muskox does not record the infra-map section {section!r}")
