"""Generating a migration file in delta mode (spec 3.2).

The plan is made exactly as in snapshot mode, with one difference: it starts from the *pending* state — the
current state (state store reconciled with the database) folded with every committed file that is not applied
yet — so several files can be generated, reviewed and committed before one deploy applies them all. The new
file's ``parent_state_hash`` is the hash of that pending state: it applies right after the files before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from muskox.files.delta import (
    DEFAULT_DESCRIPTION,
    MigrationFile,
    canonical_form,
    new_migration,
    stale_canonical_form,
)
from muskox.files.delta_operations import deltas_from_operations, fold_migration
from muskox.files.plan_yaml import utc_timestamp
from muskox.files.state_hash import state_hash
from muskox.model.infra_map import InfraMap
from muskox.plan.fold import FoldError
from muskox.plan.planner import PlanResult
from muskox.plugin.dialect import Dialect


@attrs.frozen
class PendingState:
    """The state a new file starts from: the current state after the committed, unapplied files."""

    state: InfraMap
    parent_hash: str
    committed: tuple[MigrationFile, ...]
    unapplied: tuple[MigrationFile, ...]
    warnings: tuple[str, ...] = ()
    #: The canonical form ``parent_hash`` is computed in (:func:`muskox.files.delta.canonical_form`).
    canonical_form: str | None = None


def pending_state(current: InfraMap, committed: Sequence[MigrationFile], applied: Sequence[str],
                  dialect: Dialect) -> PendingState:
    """Fold the unapplied files over ``current``; warn about each one whose parent hash already does not match
    (``muskox migrate`` would stop at it)."""
    done = set(applied)
    unapplied = tuple(m for m in committed if m.id not in done)
    warnings: list[str] = []
    state = current
    for migration in unapplied:
        if migration.parent_state_hash != state_hash(state, dialect):
            stale = stale_canonical_form(migration, dialect)
            warnings.append(stale.problem if stale is not None else
                            f"{migration.file_name} was generated against another state than the database's now "
                            f"(with the files before it applied); `muskox migrate` will stop at it")
        try:
            state = fold_migration(state, migration)
        except FoldError as exc:
            raise FoldError(f"a committed, unapplied migration file does not apply to the database as it is now "
                            f"(did a failed `muskox migrate` leave it part-applied?): {exc.problem}",
                            "finish or revert that file first (`muskox migrate` reports how), or correct it") from None
    return PendingState(state=state, parent_hash=state_hash(state, dialect), committed=tuple(committed),
                        unapplied=unapplied, warnings=tuple(warnings), canonical_form=canonical_form(dialect))


def migration_for_plan(result: PlanResult, pending: PendingState, target: InfraMap, *,
                       description: str = DEFAULT_DESCRIPTION, now: dt.datetime | None = None) -> MigrationFile | None:
    """The new migration file for ``result`` (planned from ``pending.state``), or None when there is nothing
    to do. Destructive deltas record the approval given for the plan in their ``policy``."""
    if result.empty:
        return None
    now = now or dt.datetime.now(dt.UTC)
    reasons = {f.key: f.description for f in result.destructive if f.description.startswith("DROP ")
               and not f.description.startswith("DROP COLUMN ")}
    deltas = deltas_from_operations(result.operations, pending.state, target=target, approved_at=utc_timestamp(now),
                                    reasons=reasons)
    last = pending.committed[-1].id if pending.committed else None
    return new_migration(deltas, pending.parent_hash, description=description, now=now, after=last,
                         canonical_form=pending.canonical_form)
