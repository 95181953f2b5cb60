"""Delta mode's migration files (spec 3.1): ``migrations/<id>.yaml``, one per ``generate migration --save``.

A file holds ``id``, ``description``, ``parent_state_hash`` (the state it was generated against, see
:mod:`muskox.files.state_hash`), ``deltas`` and ``created_at``, written in that order. Each delta is a mapping tagged
by ``type:`` with its fields after it, in the order of the classes below; tables, columns, views and
materialized views use the same encodings as ``plan.yaml`` and the state snapshots (:mod:`muskox.model.codec`),
engines included: ``engine: {ReplacingMergeTree: {ver: updated, is_deleted: null}}``, never a YAML tag.

Reading is tolerant of what moose-cli 0.6.533 wrote: its engines carry YAML tags (``engine: !ReplacingMergeTree``),
read here as the equivalent single-key mappings; its table hashes are ignored as everywhere else.

Delta types are Moose's (``CreateTable``, ``DropTable`` with the whole table and the approval ``policy``,
``RecreateTable``, ``AddTableColumn`` … addressed by ``table_id``, the table's map key of spec 6.1), plus
muskox's ``RawSql`` for statements that are not a version-bump ``BackfillTable`` and its topic deltas
(``CreateTopic``, ``DropTopic``, ``ModifyTopicConfig``, ``IncreaseTopicPartitions``: Moose applies topics
without recording them). How deltas turn into plan operations and back is :mod:`muskox.files.delta_operations`.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import yaml

from muskox.errors import PlanInvalid
from muskox.files.delta_codec import read_delta_fields
from muskox.files.plan_yaml import (
    PLAN_FILE,
    dump_yaml,
    is_timestamp,
    load_yaml,
    read_text_file,
    utc_timestamp,
    yaml_anchor,
    yaml_timestamp,
)
from muskox.model.codec import ModelCodec, clip, clip_quoted, describe_value, model_codec, quote
from muskox.model.dictionary import Dictionary
from muskox.model.resources import MaterializedView, Topic, View
from muskox.model.sql_resource import SqlResource
from muskox.model.table import Column, Table, TableConstraint, TableIndex, TableProjection

if TYPE_CHECKING:
    from muskox.plugin.dialect import Dialect

PENDING_FILE = "pending.yaml"
"""The dev-session draft Moose writes next to the committed files; never applied."""
SKIPPED_FILES = frozenset({PLAN_FILE, PENDING_FILE})
"""YAML files in the migrations directory that are not migration files."""
DEFAULT_DESCRIPTION = "migration"
"""The description (and id slug) when none is given, as moose-cli writes it."""

_ID_TIME = "%Y%m%d_%H%M%S"
_ID_PATTERN = re.compile(r"^(\d{8}_\d{6})_(\d{3})_")
_TIME_LENGTH = len("YYYYMMDD_HHMMSS_mmm")


# -- the deltas ---------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Policy:
    """Why a destructive delta may run: what was approved, and when (at generation)."""

    description: str
    approved_at: str | None = None


@attrs.frozen(kw_only=True)
class Delta:
    """Base of every delta; ``TYPE`` is its ``type:`` tag (the class name)."""

    TYPE: ClassVar[str] = ""

    def summary(self) -> str:
        """One line for the numbered summary of ``generate migration`` (without ``--save``)."""
        raise NotImplementedError


@attrs.frozen(kw_only=True)
class TableDelta(Delta):
    """A change to one existing table, addressed by its map key (``<database>_<name>[_<version>]``)."""

    table_id: str


@attrs.frozen(kw_only=True)
class CreateTable(Delta):
    """Create ``table``."""

    TYPE: ClassVar[str] = "CreateTable"
    table: Table

    def summary(self) -> str:
        return f"create table {self.table.name} ({len(self.table.columns)} columns)"


@attrs.frozen(kw_only=True)
class DropTable(Delta):
    """Drop ``table`` (the whole definition, as it was); destructive, so ``policy`` records the approval."""

    TYPE: ClassVar[str] = "DropTable"
    table: Table
    policy: Policy | None = None

    def summary(self) -> str:
        return f"drop table {self.table.name}"


@attrs.frozen(kw_only=True)
class RecreateTable(Delta):
    """Drop ``before`` and create ``after`` (a key, engine or read-only setting changed); destructive."""

    TYPE: ClassVar[str] = "RecreateTable"
    before: Table
    after: Table
    policy: Policy | None = None

    def summary(self) -> str:
        return f"drop and recreate table {self.after.name}"


@attrs.frozen(kw_only=True)
class RecreateTableWithCopy(RecreateTable):
    """Recreate ``before`` as ``after`` keeping its rows (copied, counted, swapped in); destructive like a
    recreate, so ``policy`` records the approval."""

    TYPE: ClassVar[str] = "RecreateTableWithCopy"

    def summary(self) -> str:
        return f"recreate table {self.after.name} with a copy of its rows"


@attrs.frozen(kw_only=True)
class AddTableColumn(TableDelta):
    """Add ``column`` after ``after_column`` (None: first)."""

    TYPE: ClassVar[str] = "AddTableColumn"
    column: Column
    after_column: str | None = None

    def summary(self) -> str:
        where = f"after {self.after_column}" if self.after_column else "first"
        return f"add column {self.column.name} to {self.table_id} ({where})"


@attrs.frozen(kw_only=True)
class DropTableColumn(TableDelta):
    """Drop a column."""

    TYPE: ClassVar[str] = "DropTableColumn"
    column_name: str

    def summary(self) -> str:
        return f"drop column {self.column_name} from {self.table_id}"


@attrs.frozen(kw_only=True)
class ModifyTableColumn(TableDelta):
    """Change a column's type or properties."""

    TYPE: ClassVar[str] = "ModifyTableColumn"
    before_column: Column
    after_column: Column

    def summary(self) -> str:
        return f"modify column {self.after_column.name} of {self.table_id}"


@attrs.frozen(kw_only=True)
class RenameTableColumn(TableDelta):
    """Rename a column, keeping its data."""

    TYPE: ClassVar[str] = "RenameTableColumn"
    before_name: str
    after_name: str

    def summary(self) -> str:
        return f"rename column {self.before_name} to {self.after_name} in {self.table_id}"


@attrs.frozen(kw_only=True)
class ModifyTableSettings(TableDelta):
    """Change table settings (``None``: no settings)."""

    TYPE: ClassVar[str] = "ModifyTableSettings"
    before: dict[str, str] | None = None
    after: dict[str, str] | None = None

    def summary(self) -> str:
        return f"modify settings of {self.table_id}"


@attrs.frozen(kw_only=True)
class ModifyTableTtl(TableDelta):
    """Set (``after``) or remove (``after`` None) the table TTL."""

    TYPE: ClassVar[str] = "ModifyTableTtl"
    before: str | None = None
    after: str | None = None

    def summary(self) -> str:
        return f"{'remove' if self.after is None else 'modify'} TTL of {self.table_id}"


@attrs.frozen(kw_only=True)
class AddTableIndex(TableDelta):
    """Add a data-skipping index."""

    TYPE: ClassVar[str] = "AddTableIndex"
    index: TableIndex

    def summary(self) -> str:
        return f"add index {self.index.name} to {self.table_id}"


@attrs.frozen(kw_only=True)
class DropTableIndex(TableDelta):
    """Drop a data-skipping index."""

    TYPE: ClassVar[str] = "DropTableIndex"
    index_name: str

    def summary(self) -> str:
        return f"drop index {self.index_name} from {self.table_id}"


@attrs.frozen(kw_only=True)
class AddTableProjection(TableDelta):
    """Add a projection."""

    TYPE: ClassVar[str] = "AddTableProjection"
    projection: TableProjection

    def summary(self) -> str:
        return f"add projection {self.projection.name} to {self.table_id}"


@attrs.frozen(kw_only=True)
class DropTableProjection(TableDelta):
    """Drop a projection."""

    TYPE: ClassVar[str] = "DropTableProjection"
    projection_name: str

    def summary(self) -> str:
        return f"drop projection {self.projection_name} from {self.table_id}"


@attrs.frozen(kw_only=True)
class ModifySampleBy(TableDelta):
    """Set the SAMPLE BY expression."""

    TYPE: ClassVar[str] = "ModifySampleBy"
    expression: str

    def summary(self) -> str:
        return f"set SAMPLE BY of {self.table_id} to {self.expression}"


@attrs.frozen(kw_only=True)
class RemoveSampleBy(TableDelta):
    """Remove the SAMPLE BY expression."""

    TYPE: ClassVar[str] = "RemoveSampleBy"

    def summary(self) -> str:
        return f"remove SAMPLE BY from {self.table_id}"


@attrs.frozen(kw_only=True)
class CreateView(Delta):
    """Create a plain view."""

    TYPE: ClassVar[str] = "CreateView"
    view: View

    def summary(self) -> str:
        return f"create view {self.view.name}"


@attrs.frozen(kw_only=True)
class DropView(Delta):
    """Drop a plain view (the whole definition, as it was)."""

    TYPE: ClassVar[str] = "DropView"
    view: View

    def summary(self) -> str:
        return f"drop view {self.view.name}"


@attrs.frozen(kw_only=True)
class CreateMaterializedView(Delta):
    """Create a materialized view."""

    TYPE: ClassVar[str] = "CreateMaterializedView"
    mv: MaterializedView

    def summary(self) -> str:
        return f"create materialized view {self.mv.name} -> {self.mv.target_table}"


@attrs.frozen(kw_only=True)
class DropMaterializedView(Delta):
    """Drop a materialized view (the whole definition, as it was)."""

    TYPE: ClassVar[str] = "DropMaterializedView"
    mv: MaterializedView

    def summary(self) -> str:
        return f"drop materialized view {self.mv.name}"


@attrs.frozen(kw_only=True)
class BackfillTable(Delta):
    """Copy the rows of a version-bumped table into its new version (execution only: the schema is unchanged)."""

    TYPE: ClassVar[str] = "BackfillTable"
    source_table: str
    target_table: str
    columns: tuple[str, ...] = ()
    sql: str

    def summary(self) -> str:
        return f"backfill {self.target_table} from {self.source_table}"


@attrs.frozen(kw_only=True)
class RawSql(Delta):
    """Statements run in order, as written (muskox's extension; the schema the fold tracks is unchanged)."""

    TYPE: ClassVar[str] = "RawSql"
    sql: tuple[str, ...]
    description: str = ""

    def summary(self) -> str:
        return f"run SQL: {self.description or f'{len(self.sql)} statement(s)'}"


@attrs.frozen(kw_only=True)
class CreateTopic(Delta):
    """Create a Kafka/Redpanda topic (muskox's extension: Moose applies topics outside its files)."""

    TYPE: ClassVar[str] = "CreateTopic"
    topic: Topic

    def summary(self) -> str:
        return f"create topic {self.topic.name} ({self.topic.partitions} partition(s))"


@attrs.frozen(kw_only=True)
class DropTopic(Delta):
    """Delete a topic (the whole definition, as it was); destructive, so ``policy`` records the approval."""

    TYPE: ClassVar[str] = "DropTopic"
    topic: Topic
    policy: Policy | None = None

    def summary(self) -> str:
        return f"drop topic {self.topic.name}"


@attrs.frozen(kw_only=True)
class ModifyTopicConfig(Delta):
    """Change a topic's managed configuration (``retention.ms``, ``max.message.bytes``, declared keys)."""

    TYPE: ClassVar[str] = "ModifyTopicConfig"
    topic_name: str
    before: dict[str, str] = attrs.field(factory=dict)
    after: dict[str, str] = attrs.field(factory=dict)

    def summary(self) -> str:
        return f"modify config of topic {self.topic_name}"


@attrs.frozen(kw_only=True)
class IncreaseTopicPartitions(Delta):
    """Grow a topic's partition count."""

    TYPE: ClassVar[str] = "IncreaseTopicPartitions"
    topic_name: str
    before: int
    after: int

    def summary(self) -> str:
        return f"increase partitions of topic {self.topic_name} from {self.before} to {self.after}"


@attrs.frozen(kw_only=True)
class CreateDictionary(Delta):
    """Create a dictionary (Moose's encoding of ``olap_dictionaries``, source passwords as ``[HIDDEN]``)."""

    TYPE: ClassVar[str] = "CreateDictionary"
    dictionary: Dictionary

    def summary(self) -> str:
        return f"create dictionary {self.dictionary.name}"


@attrs.frozen(kw_only=True)
class ReplaceDictionary(Delta):
    """Replace a dictionary's definition (``before`` as it was, ``after`` as it becomes)."""

    TYPE: ClassVar[str] = "ReplaceDictionary"
    before: Dictionary
    after: Dictionary

    def summary(self) -> str:
        return f"replace dictionary {self.after.name}"


@attrs.frozen(kw_only=True)
class DropDictionary(Delta):
    """Drop a dictionary (the whole definition, as it was); ``policy`` records the approval."""

    TYPE: ClassVar[str] = "DropDictionary"
    dictionary: Dictionary
    policy: Policy | None = None

    def summary(self) -> str:
        return f"drop dictionary {self.dictionary.name}"


@attrs.frozen(kw_only=True)
class AddTableConstraint(TableDelta):
    """Add a table constraint (``{name, expression, type}``, Moose's encoding)."""

    TYPE: ClassVar[str] = "AddTableConstraint"
    constraint: TableConstraint

    def summary(self) -> str:
        return f"add constraint {self.constraint.name} to {self.table_id}"


@attrs.frozen(kw_only=True)
class DropTableConstraint(TableDelta):
    """Drop a table constraint."""

    TYPE: ClassVar[str] = "DropTableConstraint"
    constraint_name: str

    def summary(self) -> str:
        return f"drop constraint {self.constraint_name} from {self.table_id}"


@attrs.frozen(kw_only=True)
class CreateSqlResource(Delta):
    """Run a SQL resource's setup statements (Moose's ``sql_resources`` encoding of the resource)."""

    TYPE: ClassVar[str] = "CreateSqlResource"
    resource: SqlResource

    def summary(self) -> str:
        return f"set up SQL resource {self.resource.name}"


@attrs.frozen(kw_only=True)
class DropSqlResource(Delta):
    """Run a SQL resource's teardown statements (the whole resource, as it was); ``policy`` records the approval."""

    TYPE: ClassVar[str] = "DropSqlResource"
    resource: SqlResource
    policy: Policy | None = None

    def summary(self) -> str:
        return f"tear down SQL resource {self.resource.name}"


#: Every delta type, by its ``type:`` tag.
DELTA_TYPES: dict[str, type[Delta]] = {cls.TYPE: cls for cls in (
    CreateTable, DropTable, RecreateTable, RecreateTableWithCopy, AddTableColumn, DropTableColumn, ModifyTableColumn,
    RenameTableColumn,
    ModifyTableSettings, ModifyTableTtl, AddTableIndex, DropTableIndex, AddTableProjection, DropTableProjection,
    ModifySampleBy, RemoveSampleBy, CreateView, DropView, CreateMaterializedView, DropMaterializedView,
    BackfillTable, RawSql, CreateTopic, DropTopic, ModifyTopicConfig, IncreaseTopicPartitions,
    CreateDictionary, ReplaceDictionary, DropDictionary, AddTableConstraint, DropTableConstraint, CreateSqlResource,
    DropSqlResource,
)}

DESTRUCTIVE_TYPES: tuple[type[Delta], ...] = (DropTable, RecreateTable, DropTableColumn, DropView,
                                              DropMaterializedView, DropTopic, DropDictionary, DropSqlResource)
"""Deltas that can lose data (spec 6.4)."""


# -- the file -----------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class MigrationFile:
    """One committed migration: its deltas and the hash of the state they apply to."""

    id: str
    description: str
    parent_state_hash: str
    deltas: tuple[Delta, ...]
    created_at: str
    #: The canonical form ``parent_state_hash`` was computed in (``"<dialect>/<canonical_version>"``), from the
    #: file's first line; None for files muskox did not write (Moose's).
    canonical_form: str | None = None

    @property
    def file_name(self) -> str:
        """``<id>.yaml``."""
        return f"{self.id}.yaml"


def slug(description: str) -> str:
    """The description lower-cased, every run of characters outside ``[a-z0-9]`` collapsed to one ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", description.lower()).strip("_") or DEFAULT_DESCRIPTION


def migration_id(description: str, now: dt.datetime, after: str | None = None) -> str:
    """``YYYYMMDD_HHMMSS_mmm_<slug>`` for ``now`` (UTC), later than the id ``after`` when one is given.

    Files apply in id order, so a new id must sort after every committed one even when clocks disagree:
    when ``now`` is not later, the time of ``after`` plus one millisecond is used.
    """
    now = now.astimezone(dt.UTC)
    candidate = _id_at(now, description)
    match = _ID_PATTERN.match(after or "")
    if after is None or (candidate[:_TIME_LENGTH] > after[:_TIME_LENGTH] if match else candidate > after):
        return candidate
    if match is None:
        raise PlanInvalid(f"cannot name the new migration file so that it sorts after '{after}'",
                          "rename the committed files to the YYYYMMDD_HHMMSS_mmm_<name>.yaml form")
    previous = dt.datetime.strptime(match.group(1), _ID_TIME).replace(tzinfo=dt.UTC)
    previous += dt.timedelta(milliseconds=int(match.group(2)) + 1)
    return _id_at(previous, description)


def _id_at(moment: dt.datetime, description: str) -> str:
    return f"{moment.strftime(_ID_TIME)}_{moment.microsecond // 1000:03d}_{slug(description)}"


def new_migration(deltas: tuple[Delta, ...], parent_state_hash: str, *, description: str = DEFAULT_DESCRIPTION,
                  now: dt.datetime | None = None, after: str | None = None,
                  canonical_form: str | None = None) -> MigrationFile:
    """A new file for ``deltas``, stamped ``now`` (default: the current time); ``canonical_form`` is the one
    ``parent_state_hash`` was computed in (:func:`canonical_form`)."""
    now = now or dt.datetime.now(dt.UTC)
    return MigrationFile(id=migration_id(description, now, after), description=description,
                         parent_state_hash=parent_state_hash, deltas=deltas, created_at=utc_timestamp(now),
                         canonical_form=canonical_form)


def canonical_form(dialect: Dialect) -> str:
    """``"<dialect name>/<canonical_version>"``: what state hashes computed in ``dialect`` depend on."""
    return f"{dialect.name}/{dialect.canonical_version}"


#: The comment line muskox writes first in a migration file (YAML comments: Moose reads the file unchanged).
_CANONICAL_COMMENT = "# muskox canonical form: "


def stale_canonical_form(migration: MigrationFile, dialect: Dialect) -> PlanInvalid | None:
    """The error for a file whose ``parent_state_hash`` was computed in another canonical form than
    ``dialect``'s (a muskox release changed how states normalize), or None when the forms agree or the file
    does not say (Moose's files). Call it only when the hash did not match: such a file is not drift, it is
    out of date, and regenerating it is safe because it has not been applied."""
    current = canonical_form(dialect)
    if migration.canonical_form is None or migration.canonical_form == current:
        return None
    return PlanInvalid(
        f"{migration.file_name} was hashed in canonical form {migration.canonical_form}, this muskox computes "
        f"{current}: its parent_state_hash cannot be compared (it is not drift)",
        f"move {migration.file_name} and any later unapplied file out of the migrations directory and run "
        f"`muskox generate migration --save` again (nothing of them has been applied)")


# -- writing ------------------------------------------------------------------------------------------------


def delta_to_json(delta: Delta, codec: ModelCodec) -> dict[str, Any]:
    """``{type: Name, field: value, …}``: every field present (None as null), in declaration order."""
    body: dict[str, Any] = {"type": delta.TYPE}
    for field in attrs.fields(type(delta)):
        value = getattr(delta, field.name)
        if isinstance(value, Policy):
            body[field.name] = {"description": value.description, "approved_at": value.approved_at}
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            body[field.name] = list(value)
        elif isinstance(value, dict):
            body[field.name] = dict(value)
        elif isinstance(value, Table):
            body[field.name] = _in_moose_order(codec.to_json(value))
        else:
            body[field.name] = codec.to_json(value)
    return body


#: The order of a table's keys in the files moose-cli writes (serde's struct order); others follow.
_TABLE_KEY_ORDER = ("name", "columns", "order_by", "partition_by", "sample_by", "primary_key_expression", "engine",
                    "version", "source_primitive", "metadata", "life_cycle", "table_settings", "indexes",
                    "projections", "constraints", "database", "table_ttl_setting", "cluster_name")


def _in_moose_order(table: dict[str, Any]) -> dict[str, Any]:
    rank = {key: index for index, key in enumerate(_TABLE_KEY_ORDER)}
    return dict(sorted(table.items(), key=lambda item: rank.get(item[0], len(rank))))


def migration_to_yaml(migration: MigrationFile, dialect: Dialect) -> str:
    """The text of ``migrations/<id>.yaml``: fields in Moose's order (not sorted), plain YAML (no tags); types
    Moose cannot encode written in ``dialect``."""
    codec = model_codec(dialect)
    body = {
        "id": migration.id,
        "description": migration.description,
        "parent_state_hash": migration.parent_state_hash,
        "deltas": [delta_to_json(delta, codec) for delta in migration.deltas],
        "created_at": yaml_timestamp(migration.created_at),
    }
    header = "" if migration.canonical_form is None else f"{_CANONICAL_COMMENT}{migration.canonical_form}\n"
    return header + dump_yaml(body, sort_keys=False)


# -- reading ------------------------------------------------------------------------------------------------
#
# As strict as plan.yaml (see muskox.files.plan_yaml): UTF-8, at most MAX_FILE_BYTES, no YAML anchors or aliases,
# and every value of its field's type. The scalar fields of deltas (names, SQL, settings, policies) are checked
# here, before muskox.files.delta_codec builds them; model values (tables, columns, …) by the model codec.


class _Loader(yaml.SafeLoader):
    """Safe YAML; timestamps stay text; ``!Tag value`` (serde_yaml's enum form) reads as ``{Tag: value}``; a key
    given twice in one mapping is an error (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value) and not any(key.tag == _MERGE for key, _ in node.value):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark, f"found duplicate key {quote(str(key))}",
                        key_node.start_mark)
                seen.add(key)
        return mapping


_MERGE = "tag:yaml.org,2002:merge"


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        text = loader.construct_scalar(node)  # type: ignore[arg-type]
        if text == "":
            return suffix  # a unit variant written with a tag and no value
        if isinstance(text, str) and yaml_anchor(text, _Loader) is not None:  # the text is read as YAML too
            raise yaml.constructor.ConstructorError(None, None, "YAML anchors and aliases are not allowed",
                                                    node.start_mark)
        value = yaml.load(str(text), Loader=_Loader) if isinstance(text, str) else text
    return {suffix: value}


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Loader.add_multi_constructor("!", _tagged)

_TOP_LEVEL = ("id", "description", "parent_state_hash", "deltas", "created_at")
_FIX = "correct the file, or delete it and run `muskox generate migration --save` again"


def migration_from_yaml(text: str, where: str, dialect: Dialect) -> MigrationFile:
    """Read a migration file (types outside Moose's vocabulary in ``dialect``); every problem is reported with its
    path (``<where>: deltas[2].column: …``)."""
    data = load_yaml(text, _Loader, where, _FIX)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else describe_value(data)
        raise PlanInvalid(f"{where}: expected a mapping with {', '.join(_TOP_LEVEL)}, got {got}", _FIX)
    unknown = sorted(str(key) for key in set(data) - set(_TOP_LEVEL))
    problems = [f"{where}: unknown top-level key {quote(key)}" for key in unknown]
    text_fields: dict[str, str] = {}
    for key in ("id", "parent_state_hash", "created_at", "description"):
        value = data.get(key, DEFAULT_DESCRIPTION if key == "description" else None)
        if not isinstance(value, str) or (key != "description" and not value):
            got = f", got {describe_value(value)}" if key in data else ""
            problems.append(f"{where}: {key}: expected a non-empty string{got}")
        elif key == "created_at" and not is_timestamp(value):
            problems.append(f"{where}: created_at: expected an RFC 3339 timestamp (like 2026-03-01T10:30:00Z), "
                            f"got {describe_value(value)}")
        text_fields[key] = str(value) if isinstance(value, str) else ""
    raw = data.get("deltas")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        problems.append(f"{where}: deltas: expected a list, got {describe_value(raw)}")
        raw = []
    deltas: list[Delta] = []
    codec = model_codec(dialect)
    for index, item in enumerate(raw):
        delta, errors = delta_from_json(item, f"{where}: deltas[{index}]", codec)
        problems += errors
        if delta is not None:
            deltas.append(delta)
    if problems:
        raise PlanInvalid(f"{where} is invalid", _FIX, problems=problems)
    first_line = text.split("\n", 1)[0]
    form = first_line[len(_CANONICAL_COMMENT):].strip() if first_line.startswith(_CANONICAL_COMMENT) else None
    return MigrationFile(id=text_fields["id"], description=text_fields["description"],
                         parent_state_hash=text_fields["parent_state_hash"], deltas=tuple(deltas),
                         created_at=text_fields["created_at"], canonical_form=form or None)


def delta_from_json(value: Any, where: str, codec: ModelCodec) -> tuple[Delta | None, list[str]]:
    """Read one delta; returns it, or None with one problem line per error."""
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return None, [f"{where}: each delta must be a mapping with a `type`, got {describe_value(value)}"]
    tag = value["type"]
    cls = DELTA_TYPES.get(tag)
    if cls is None:
        return None, [f"{where}: unknown delta type {quote(tag)} (muskox reads: {', '.join(DELTA_TYPES)})"]
    body = {k: v for k, v in value.items() if k != "type"}
    where = f"{where} ({tag})"
    problems, bad = _field_problems(cls, body, where)
    try:  # the model values (and what passed the checks above)
        fields, model_problems = read_delta_fields(cls, {k: v for k, v in body.items() if k not in bad}, where,
                                                   codec)
    except RecursionError:
        fields, model_problems = {}, [f"{where}: nested too deeply"]
    reported = {f"{where}.{field.name}: required field missing" for field in attrs.fields(cls)}  # above already
    problems += [clip_quoted(p) for p in model_problems if p not in reported]
    if problems:
        return None, problems
    try:
        return cls(**fields), []
    except (ValueError, TypeError) as exc:
        return None, [f"{where}: {clip_quoted(str(exc))}"]


def _field_problems(cls: type, body: dict[Any, Any], where: str) -> tuple[list[str], set[Any]]:
    """The problems of ``body`` as the fields of the attrs class ``cls``, but for model values (the model codec's
    to check): unknown and missing fields, values of the wrong type; and the keys of ``body`` they concern."""
    fields = attrs.fields(attrs.resolve_types(cls))
    names = {field.name for field in fields}
    bad = {key for key in body if key not in names}
    problems = [f"{where}: unknown field {quote(str(key))}" for key in body if key not in names]
    for field in fields:
        if field.name in body:
            found = _value_problems(body[field.name], field.type, f"{where}.{field.name}")
            if found:
                bad.add(field.name)
                problems += found
        elif field.default is attrs.NOTHING:
            problems.append(f"{where}.{field.name}: required field missing")
    return problems, bad


def _value_problems(value: Any, tp: Any, where: str) -> list[str]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        if value is None and len(options) < len(args):
            return []
        return _value_problems(value, options[0], where) if len(options) == 1 else []
    if tp is str and not isinstance(value, str):
        return [f"{where}: expected a string, got {describe_value(value)}"]
    if tp is int and (not isinstance(value, int) or isinstance(value, bool)):
        return [f"{where}: expected an integer, got {describe_value(value)}"]
    if origin is tuple:
        if not isinstance(value, list):  # never a string for a list of one: the file says what runs
            kind = " of strings" if args and args[0] is str else ""
            return [f"{where}: expected a list{kind}, got {describe_value(value)}"]
        return [problem for index, item in enumerate(value)
                for problem in _value_problems(item, args[0], f"{where}[{index}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected a mapping, got {describe_value(value)}"]
        return [problem for key, item in value.items() for problem in (
            [f"{where}: keys must be strings, got {describe_value(key)}"] if not isinstance(key, str)
            else _value_problems(item, args[1], f"{where}.{clip(key)}"))]
    if tp is Policy:
        if not isinstance(value, dict):
            return [f"{where}: expected a mapping, got {describe_value(value)}"]
        return _field_problems(Policy, value, where)[0]
    return []


# -- the migrations directory ------------------------------------------------------------------------------


def migration_paths(directory: Path) -> Iterator[Path]:
    """The committed migration files in ``directory`` (``plan.yaml`` and ``pending.yaml`` skipped)."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.yaml")):
        if path.name not in SKIPPED_FILES and not path.name.startswith("."):
            yield path


def misnamed_paths(directory: Path) -> list[Path]:
    """Files in ``directory`` that look like migration files but are not named ``*.yaml`` (``*.yml``,
    ``*.YAML``): refused rather than silently skipped."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir()
                  if path.suffix.lower() in {".yml", ".yaml"} and path.suffix != ".yaml"
                  and not path.name.startswith(".") and path.is_file())


def load_migrations(directory: Path, dialect: Dialect) -> list[MigrationFile]:
    """Every committed migration file, sorted by id (types outside Moose's vocabulary in ``dialect``); all problems
    of all files are reported together."""
    migrations: list[MigrationFile] = []
    problems: list[str] = [f"{path.name}: migration files end in .yaml, so this file would never be applied; "
                           f"rename it to {path.stem}.yaml" for path in misnamed_paths(directory)]
    for path in migration_paths(directory):
        try:
            migration = migration_from_yaml(read_text_file(path, path.name, fix=_FIX), path.name, dialect)
        except PlanInvalid as exc:
            problems += exc.problems or [exc.problem]
            continue
        if migration.id != path.stem:
            problems.append(f"{path.name}: its id '{migration.id}' differs from the file name; files are applied "
                            f"by id, so name the file {migration.file_name}")
        migrations.append(migration)
    seen: set[str] = set()
    for migration in migrations:
        if migration.id in seen:
            problems.append(f"two files have the id '{migration.id}'")
        seen.add(migration.id)
    if problems:
        raise PlanInvalid(f"migration files in {directory} are invalid", _FIX, problems=problems)
    return sorted(migrations, key=lambda m: m.id)


def write_migration(directory: Path, migration: MigrationFile, dialect: Dialect) -> Path:
    """Write ``<directory>/<id>.yaml`` (never over an existing file, types in ``dialect``); returns its path."""
    from muskox.files.snapshot import write_atomically

    path = directory / migration.file_name
    if path.exists():
        raise PlanInvalid(f"{path} already exists", "run the command again (ids carry the millisecond)")
    write_atomically(path, migration_to_yaml(migration, dialect))
    return path
