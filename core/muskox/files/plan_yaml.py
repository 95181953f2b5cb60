"""``migrations/plan.yaml``, written exactly as Moose writes it and read from either tool.

Format (spec 2.1): a ``# yaml-language-server: $schema=…`` line, a blank line, then ``created_at`` (RFC 3339,
UTC) and ``operations``, a list of single-key mappings; all mapping keys sorted; unset options as ``null``.

Reading is strict, for plan and delta files alike (they are edited by hand and reviewed): a file is UTF-8 and at
most :data:`MAX_FILE_BYTES`; YAML anchors and aliases (``&a`` / ``*a``) are refused before anything is built (so
an alias bomb costs nothing); every value must have its field's type (see :mod:`muskox.model.codec`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import yaml

from muskox.errors import PlanInvalid
from muskox.files.operation_codec import operation_from_json, operation_to_json
from muskox.model.codec import clip_quoted, describe_value, model_codec, quote
from muskox.model.operations import Operation

if TYPE_CHECKING:
    from muskox.plugin.dialect import Dialect

PLAN_FILE = "plan.yaml"
SCHEMA_FILE = "plan.schema.json"
_HEADER = "# yaml-language-server: $schema={schema}\n\n"


@attrs.frozen
class Plan:
    """An ordered list of operations and when it was generated."""

    created_at: str
    operations: tuple[Operation, ...]


def utc_timestamp(now: dt.datetime | None = None) -> str:
    """RFC 3339 with microseconds and ``Z``, as in ``2026-03-01T10:30:00.123456Z``."""
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Timestamp(str):
    """A string dumped as a plain (unquoted) YAML timestamp, as Moose writes ``created_at``."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Timestamp, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", str(v)))
_Dumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))

#: Characters YAML treats as line breaks; plain or single-quoted scalars would not keep them.
_LINE_BREAKS = frozenset("\x85\u2028\u2029\r")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if any(ch in _LINE_BREAKS for ch in value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, *, sort_keys: bool = True) -> str:
    """YAML with sorted keys (``sort_keys`` False: in insertion order), block style, unicode kept, long lines
    unwrapped."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=sort_keys, default_flow_style=False, allow_unicode=True,
                     width=1_000_000)


def yaml_timestamp(text: str) -> str:
    """``text`` marked to be dumped as a plain (unquoted) YAML timestamp, as Moose writes ``created_at``."""
    return _Timestamp(text)


def plan_to_yaml(plan: Plan, dialect: Dialect, schema: str = SCHEMA_FILE) -> str:
    """The text of ``plan.yaml`` (types Moose cannot encode written in ``dialect``)."""
    codec = model_codec(dialect)
    body = {"created_at": _Timestamp(plan.created_at),
            "operations": [operation_to_json(op, codec) for op in plan.operations]}
    return _HEADER.format(schema=schema) + dump_yaml(body)


# -- reading files strictly ------------------------------------------------------------------------------

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest plan or migration file muskox reads (a plan of 10,000 tables is a few MiB)."""

_READ_FIX = "regenerate it with `muskox generate migration --save`"


def read_text_file(path: Path, where: str | None = None, *, limit: int = MAX_FILE_BYTES,
                   fix: str = _READ_FIX) -> str:
    """The text of ``path``: at most ``limit`` bytes of UTF-8; anything else is one :class:`PlanInvalid` line
    naming the file (``where``, default the path)."""
    where = where or str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise PlanInvalid(f"{where}: cannot be read: {exc.strerror or exc}", fix) from None
    if len(data) > limit:
        raise PlanInvalid(f"{where}: the file is larger than {_size(limit)}, the most muskox reads", fix)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PlanInvalid(f"{where}: not UTF-8 text (line {line}, byte {exc.start + 1} is not UTF-8)",
                          fix) from None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


#: A ``&`` or ``*`` where a YAML token can start, followed by a character that can begin an anchor name: every
#: anchor and alias matches (and some text that is neither, which the exact check then clears).
_ANCHOR_MARK = re.compile(r"[&*][^\s\[\]{},]")
_TOKEN_BEFORE = frozenset(" \t\r\n\x85\u2028\u2029\ufeff[]{},:?\"'")
_NO_ANCHORS_FIX = ("write the value out in full where it is used: plan and migration files may not contain YAML "
                   "anchors or aliases")


def _maybe_anchored(text: str) -> bool:
    for match in _ANCHOR_MARK.finditer(text):
        start = match.start()
        if start == 0 or text[start - 1] in _TOKEN_BEFORE or text[start - 1].isspace():
            return True
    return False


def yaml_anchor(text: str, loader: type[Any]) -> tuple[int, str] | None:
    """The line and text (``&a`` or ``*a``) of the first YAML anchor or alias in ``text``, read by ``loader``'s
    parser; None when there is none. Only the event stream is read (nothing is built), so this is fast and
    small even for an alias bomb; a quick scan of the text skips even that when no anchor can be there.
    Raises :class:`yaml.YAMLError` on a syntax error found on the way."""
    if not _maybe_anchored(text):
        return None
    for event in yaml.parse(text, Loader=loader):
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            line = event.start_mark.line + 1 if event.start_mark is not None else 0
            return line, f"{'*' if isinstance(event, yaml.AliasEvent) else '&'}{anchor}"
    return None


def load_yaml(text: str, loader: type[Any], where: str, fix: str) -> Any:
    """The data of the YAML document ``text`` (at most :data:`MAX_FILE_BYTES`, without anchors or aliases, which
    are refused before anything is built); every problem is one :class:`PlanInvalid` line naming ``where``."""
    if len(text) > MAX_FILE_BYTES:
        raise PlanInvalid(f"{where}: the file is larger than {_size(MAX_FILE_BYTES)}, the most muskox reads", fix)
    try:
        found = yaml_anchor(text, loader)
        if found is not None:
            line, mark = found
            raise PlanInvalid(f"{where}: line {line}: YAML anchors and aliases are not allowed (found "
                              f"{quote(mark)})", _NO_ANCHORS_FIX)
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise PlanInvalid(f"{where}: not valid YAML{yaml_error_text(exc)}", fix) from None
    except UnicodeError:  # text that is no UTF-8 (a lone surrogate): the C parser cannot take it
        raise PlanInvalid(f"{where}: not UTF-8 text", fix) from None
    except RecursionError:
        raise PlanInvalid(f"{where}: not valid YAML: nested too deeply", fix) from None
    except ValueError as exc:  # a value the constructors refuse: an integer of more than 4300 digits
        problem = "a number has too many digits" if "digits" in str(exc) else clip_quoted(str(exc).split("\n")[0])
        raise PlanInvalid(f"{where}: not valid YAML: {problem}", fix) from None


def yaml_error_text(exc: yaml.YAMLError) -> str:
    """`` at line L, column C: problem`` for a YAML error, on one line."""
    mark = getattr(exc, "problem_mark", None)
    place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    lines = str(problem).strip().splitlines() or ["unreadable"]
    return f"{place}: {clip_quoted(lines[0])}"


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))")


def is_timestamp(value: Any) -> bool:
    """True for an RFC 3339 date and time (``2026-03-01T10:30:00.123456Z``, any fraction, ``Z`` or an offset)."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return False
    year, month, day, hour, minute, second, offset_hours, offset_minutes = (
        int(group) if group is not None else 0 for group in match.groups())
    try:
        dt.datetime(year, month, day, hour, minute, min(second, 59))  # 60: a leap second
    except ValueError:
        return False
    return second <= 60 and offset_hours <= 23 and offset_minutes <= 59


# libyaml's parser when PyYAML has it (the pure-Python one takes seconds for a plan of a few hundred tables);
# the constructors, and so the values read, are the same
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader with a faster construction of plain documents (half of reading a large plan was
    PyYAML's generic constructor): strings, lists and mappings are built directly, every other scalar by
    the safe constructors, and anything unusual (merge keys, other tags) by the safe loader itself."""

    _plain_tags: ClassVar[dict[str, str]] = {}
    state_generators: list[Any]  # the safe constructor's (typed here: the base class is chosen at run time)

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        """The safe resolver's tag, remembered per plain scalar (its tag depends on its text alone, and a plan
        repeats the same few values: ``true``, ``null``, type names, …)."""
        if kind is not yaml.ScalarNode or not implicit[0]:
            return str(super().resolve(kind, value, implicit))
        tags = self._plain_tags
        tag = tags.get(value)
        if tag is None:
            if len(tags) >= 1 << 14:
                tags.clear()
            tag = tags[value] = str(super().resolve(kind, value, implicit))
        return tag

    def construct_document(self, node: yaml.Node) -> Any:
        built: dict[int, Any] = {}
        try:
            data = self._build(node, built)
            pending: list[Any] = self.state_generators
            while pending:  # as the safe loader finishes a document
                self.state_generators = []
                for generator in pending:
                    for _ in generator:
                        pass
                pending = self.state_generators
            return data
        finally:
            self.constructed_objects.clear()
            self.recursive_objects.clear()
            self.deep_construct = False

    def _build(self, node: yaml.Node, built: dict[int, Any]) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return node.value
            return self.construct_object(node)
        if id(node) in built:  # an alias (refused before loading, see load_yaml): never shared
            raise yaml.constructor.ConstructorError(None, None, "found an alias", node.start_mark)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            items: list[Any] = []
            built[id(node)] = (node, items)
            items.extend(self._build(child, built) for child in node.value)
            return items
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP \
                and not any(key.tag == _MERGE for key, _ in node.value):
            mapping: dict[Any, Any] = {}
            built[id(node)] = (node, mapping)
            for key_node, value_node in node.value:
                key = self._build(key_node, built)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark, "found unhashable key",
                        key_node.start_mark) from None
                if key in mapping:  # YAML would keep the last silently; a reviewed plan says one thing
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark, f"found duplicate key {quote(str(key))}",
                        key_node.start_mark)
                mapping[key] = self._build(value_node, built)
            return mapping
        return self.construct_object(node, deep=True)


# keep created_at as the exact text written (YAML would turn it into a datetime)
def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def plan_from_yaml(text: str, types: Mapping[str, type[Operation]], dialect: Dialect, where: str = PLAN_FILE) -> Plan:
    """Read ``plan.yaml`` text (types outside Moose's vocabulary in ``dialect``); every problem (syntax, unknown
    operation, bad field) is reported, each with its path."""
    fix = "fix the syntax, or regenerate it with `muskox generate migration --save`"
    data = load_yaml(text, _Loader, where, fix)
    if not isinstance(data, dict):
        raise PlanInvalid(f"{where}: expected a mapping with created_at and operations, got "
                          f"{'an empty file' if data is None else describe_value(data)}",
                          "regenerate it with `muskox generate migration --save`")
    problems: list[str] = []
    unknown = sorted(str(key) for key in set(data) - {"created_at", "operations"})
    problems += [f"{where}: unknown top-level key {quote(key)}" for key in unknown]
    created_at = data.get("created_at")
    if not is_timestamp(created_at):
        problems.append(f"{where}: created_at: expected an RFC 3339 timestamp (like 2026-03-01T10:30:00Z), got "
                        f"{describe_value(created_at)}")
    raw_operations = data.get("operations")
    if raw_operations is None:
        raw_operations = []
    if not isinstance(raw_operations, list):
        problems.append(f"{where}: operations: expected a list, got {describe_value(raw_operations)}")
        raw_operations = []
    operations: list[Operation] = []
    codec = model_codec(dialect)
    for index, raw in enumerate(raw_operations):
        operation, errors = operation_from_json(raw, types, f"{where}: operations[{index}]", codec)
        problems += errors
        if operation is not None:
            operations.append(operation)
    if problems:
        raise PlanInvalid(f"{where} is invalid", "correct the lines above, or regenerate the plan with "
                          "`muskox generate migration --save`", problems=problems)
    return Plan(created_at=str(created_at), operations=tuple(operations))
