"""``migrations/plan.yaml``, written exactly as Moose writes it and read from either tool.

Format (spec 2.1): a ``# yaml-language-server: $schema=…`` line, a blank line, then ``created_at`` (RFC 3339,
UTC) and ``operations``, a list of single-key mappings; all mapping keys sorted; unset options as ``null``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import yaml

from muskox.errors import PlanInvalid
from muskox.files.operation_codec import operation_from_json, operation_to_json
from muskox.model.codec import model_codec
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
        known = built.get(id(node))
        if known is not None:  # an alias: the same value, as the safe loader gives it
            return known[1]
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
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise PlanInvalid(f"{where}: not valid YAML{place}: {getattr(exc, 'problem', exc)}",
                          "fix the syntax, or regenerate it with `muskox generate migration --save`") from None
    if not isinstance(data, dict):
        raise PlanInvalid(f"{where}: expected a mapping with created_at and operations",
                          "regenerate it with `muskox generate migration --save`")
    problems: list[str] = []
    unknown = sorted(set(data) - {"created_at", "operations"})
    problems += [f"{where}: unknown top-level key '{key}'" for key in unknown]
    created_at = data.get("created_at")
    if not isinstance(created_at, str):
        problems.append(f"{where}: created_at: expected an RFC 3339 timestamp")
    raw_operations = data.get("operations")
    if raw_operations is None:
        raw_operations = []
    if not isinstance(raw_operations, list):
        problems.append(f"{where}: operations: expected a list")
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
