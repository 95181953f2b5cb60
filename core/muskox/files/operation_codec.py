"""Operations to and from plan-file data: external tagging (``{OpName: {fields}}``), unset options as ``null``.

Reading checks every field against its type and reports each problem with its path, e.g.
``operations[3].AddTableColumn.column.data_type: unknown data type encoding 'Strin'``. Values are never
converted: ``required: "false"`` (a string) is an error, as is ``sql: "SELECT 1"`` for a list of statements
(the codec's converter is strict, see :mod:`muskox.model.codec`); messages quote at most a short prefix of a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

from muskox.model.codec import ModelCodec, clip, clip_quoted, describe_value, quote
from muskox.model.operations import Operation


def operation_to_json(operation: Operation, codec: ModelCodec) -> dict[str, Any]:
    """``{Name: {field: value, …}}`` with every field present (None as null)."""
    fields = attrs.fields(type(operation))
    body = {field.name: codec.converter.unstructure(getattr(operation, field.name)) for field in fields}
    return {type(operation).__name__: body}


def _format_problem(exc: BaseException, _type: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown field(s) {', '.join(clip(key) for key in sorted(map(str, exc.extra_fields)))}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, ValueError | TypeError):
        return clip_quoted(str(exc))
    return clip_quoted(f"{type(exc).__name__}: {exc}")


def operation_from_json(value: Any, types: Mapping[str, type[Operation]], where: str,
                        codec: ModelCodec) -> tuple[Operation | None, list[str]]:
    """Read one operation; returns it, or None with one problem line per error (each prefixed by its path)."""
    if not isinstance(value, dict) or len(value) != 1:
        return None, [f"{where}: each operation must be a mapping with exactly one key (the operation's name), "
                      f"got {describe_value(value)}"]
    ((name, body),) = value.items()
    cls = types.get(name) if isinstance(name, str) else None
    if cls is None:
        known = ", ".join(sorted(types))
        return None, [f"{where}: unknown operation {quote(str(name))} (known: {known})"]
    if body is None:
        body = {}
    if not isinstance(body, dict):
        return None, [f"{where}.{name}: the operation's fields must be a mapping, got {describe_value(body)}"]
    try:
        operation: Operation = codec.structure_fn(cls)(body, cls)
    except cattrs.BaseValidationError as exc:
        problems = cattrs.transform_error(exc, path=f"{where}.{name}", format_exception=_format_problem)
        return None, [_path_first(p) for p in problems]
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        return None, [f"{where}.{name}: {_format_problem(exc, None)}"]
    return operation, []


def _path_first(problem: str) -> str:
    """cattrs writes ``message @ path``; plan errors read better as ``path: message``."""
    message, sep, path = problem.rpartition(" @ ")
    if not sep:
        return problem
    path = _KEY_STEP.sub(lambda match: "." + clip(match.group(1)), path)  # ['key'] (a mapping's key): .key
    return f"{path.replace('$.', '').replace('.[', '[')}: {message}"


_KEY_STEP = re.compile(r"\['((?:[^'\\]|\\.)*)'\]")
