"""Snapshot mode's three files (spec sections 2 and 4): ``plan.yaml``, ``remote_state.json``, ``local_infra_map.json``.

``remote_state.json`` is the state the plan was generated against (drift detection compares the database
with it); ``local_infra_map.json`` is the code's state (the code-consistency check compares today's code with
it). Both are pretty-printed JSON with sorted keys, in Moose's format.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs

from muskox.errors import PlanInvalid
from muskox.files.plan_yaml import PLAN_FILE, SCHEMA_FILE, Plan, plan_from_yaml, plan_to_yaml, read_text_file
from muskox.model.codec import clip_quoted, describe_value, model_codec
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation
from muskox.plugin.dialect import Dialect

REMOTE_STATE_FILE = "remote_state.json"
LOCAL_INFRA_MAP_FILE = "local_infra_map.json"
SNAPSHOT_FILES = (PLAN_FILE, REMOTE_STATE_FILE, LOCAL_INFRA_MAP_FILE)
MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024
"""The largest state snapshot muskox reads (a map of 10,000 tables is some tens of MiB)."""
_REGENERATE = "regenerate it with `muskox generate migration --save`"


@attrs.frozen
class Snapshot:
    """A reviewed plan with the two states it was made from."""

    plan: Plan
    remote_state: InfraMap
    local_infra_map: InfraMap


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def infra_map_to_text(infra: InfraMap, dialect: Dialect) -> str:
    """Pretty JSON with sorted keys, as Moose writes its snapshots."""
    return json.dumps(model_codec(dialect).to_json(infra), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def infra_map_from_text(text: str, where: str, dialect: Dialect) -> InfraMap:
    """Read a snapshot; a malformed one (not JSON, not a map, a value of the wrong type) is one
    :class:`PlanInvalid` line naming the file and the problem."""
    if not text.strip():
        raise PlanInvalid(f"{where}: the file is empty, expected an infrastructure map (a JSON object)", _REGENERATE)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise PlanInvalid(f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                          _REGENERATE) from None
    except RecursionError:
        raise PlanInvalid(f"{where}: not valid JSON: nested too deeply", _REGENERATE) from None
    except ValueError as exc:  # NaN or Infinity, or an integer of more than 4300 digits
        raise PlanInvalid(f"{where}: not valid JSON: {clip_quoted(str(exc).split(chr(10))[0])}", _REGENERATE) \
            from None
    if not isinstance(data, dict):
        raise PlanInvalid(f"{where}: expected an infrastructure map (a JSON object), got {describe_value(data)}",
                          _REGENERATE)
    try:
        return model_codec(dialect).from_json(data, InfraMap)
    except (ValueError, TypeError, KeyError) as exc:
        raise PlanInvalid(f"{where}: {clip_quoted(str(exc))}", _REGENERATE) from None
    except cattrs.BaseValidationError as exc:
        raise PlanInvalid(f"{where}: {clip_quoted('; '.join(cattrs.transform_error(exc)))}", _REGENERATE) from None
    except RecursionError:
        raise PlanInvalid(f"{where}: nested too deeply", _REGENERATE) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def write_snapshot(directory: Path, snapshot: Snapshot, dialect: Dialect, *,
                   schema: str | None = SCHEMA_FILE) -> list[Path]:
    """Write the three files (and nothing else; types Moose cannot encode in ``dialect``); returns their paths."""
    paths = [directory / name for name in SNAPSHOT_FILES]
    write_atomically(paths[0], plan_to_yaml(snapshot.plan, dialect, schema=schema or SCHEMA_FILE))
    write_atomically(paths[1], infra_map_to_text(snapshot.remote_state, dialect))
    write_atomically(paths[2], infra_map_to_text(snapshot.local_infra_map, dialect))
    return paths


def read_snapshot(directory: Path, types: Mapping[str, type[Operation]], dialect: Dialect) -> Snapshot:
    """Read the three files (types outside Moose's vocabulary in ``dialect``); missing ones are one error listing
    them with the command that makes them."""
    missing = [name for name in SNAPSHOT_FILES if not (directory / name).is_file()]
    if missing:
        raise PlanInvalid(f"missing migration file(s) in {directory}: {', '.join(missing)}",
                          "generate them with `muskox generate migration --clickhouse-url URL --save`, "
                          "review and commit them, then run `muskox migrate` again")
    plan = plan_from_yaml(read_text_file(directory / PLAN_FILE), types, dialect, where=str(directory / PLAN_FILE))
    remote = infra_map_from_text(read_text_file(directory / REMOTE_STATE_FILE, limit=MAX_SNAPSHOT_BYTES),
                                 str(directory / REMOTE_STATE_FILE), dialect)
    local = infra_map_from_text(read_text_file(directory / LOCAL_INFRA_MAP_FILE, limit=MAX_SNAPSHOT_BYTES),
                                str(directory / LOCAL_INFRA_MAP_FILE), dialect)
    return Snapshot(plan=plan, remote_state=remote, local_infra_map=local)
