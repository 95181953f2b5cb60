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

import attrs

from muskox.errors import PlanInvalid
from muskox.files.plan_yaml import PLAN_FILE, SCHEMA_FILE, Plan, plan_from_yaml, plan_to_yaml
from muskox.model.codec import model_codec
from muskox.model.infra_map import InfraMap
from muskox.model.operations import Operation
from muskox.plugin.dialect import Dialect

REMOTE_STATE_FILE = "remote_state.json"
LOCAL_INFRA_MAP_FILE = "local_infra_map.json"
SNAPSHOT_FILES = (PLAN_FILE, REMOTE_STATE_FILE, LOCAL_INFRA_MAP_FILE)


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
    """Read a snapshot; a malformed one is a :class:`PlanInvalid` naming the file and the problem."""
    try:
        return model_codec(dialect).from_json(json.loads(text), InfraMap)
    except json.JSONDecodeError as exc:
        raise PlanInvalid(f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                          "regenerate it with `muskox generate migration --save`") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise PlanInvalid(f"{where}: {exc}", "regenerate it with `muskox generate migration --save`") from None


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
    plan = plan_from_yaml((directory / PLAN_FILE).read_text(encoding="utf-8"), types, dialect,
                          where=str(directory / PLAN_FILE))
    remote = infra_map_from_text((directory / REMOTE_STATE_FILE).read_text(encoding="utf-8"),
                                 str(directory / REMOTE_STATE_FILE), dialect)
    local = infra_map_from_text((directory / LOCAL_INFRA_MAP_FILE).read_text(encoding="utf-8"),
                                str(directory / LOCAL_INFRA_MAP_FILE), dialect)
    return Snapshot(plan=plan, remote_state=remote, local_infra_map=local)
