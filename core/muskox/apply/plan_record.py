"""Exactly-once bookkeeping of reviewed plans (snapshot mode), kept in the state store's applied list.

A plan is known by its identity: a hash of its canonical text (``created_at`` and every operation), so a
regenerated plan is a new plan and a re-read of the same file is the same one. Its records, all in the store's
append-only applied list beside the delta-mode file ids, are:

- ``plan:<id>@started`` before its first operation runs;
- ``plan:<id>#<n>`` when its raw-SQL operation number ``n`` (1-based, as the plan listing numbers them) has
  run, and ``plan:<id>#<n>.<k>`` after each statement ``k`` of a multi-statement one: what introspection cannot
  see is recorded as soon as it is committed;
- ``plan:<id>@done:<ranges>`` after a run that stopped part-way: the operations that succeeded in it
  (``1-4,7``);
- ``plan:<id>`` once every operation succeeded.

A plan with ``@started`` and no final record was partly applied: ``migrate`` reports what is left and
``migrate --resume`` runs exactly that (see :mod:`muskox.apply.snapshot`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import attrs

from muskox.apply.delta_checksums import is_checksum_record
from muskox.files.plan_yaml import Plan, plan_to_yaml
from muskox.plugin.dialect import Dialect

PREFIX = "plan:"


def plan_identity(plan: Plan, dialect: Dialect) -> str:
    """The plan's identity: 16 hex digits of the SHA-256 of its canonical text."""
    return hashlib.sha256(plan_to_yaml(plan, dialect).encode()).hexdigest()[:16]


def is_plan_record(record: str) -> bool:
    """True for the records of this module (delta mode ignores them)."""
    return record.startswith(PREFIX)


def migration_ids(applied: Iterable[str]) -> list[str]:
    """The delta-mode migration file ids of an applied list (plan records and the delta files' checksum records,
    :mod:`muskox.apply.delta_checksums`, left out)."""
    return [record for record in applied if not is_plan_record(record) and not is_checksum_record(record)]


def applied_record(identity: str) -> str:
    """The record of a plan whose every operation succeeded."""
    return f"{PREFIX}{identity}"


def started_record(identity: str) -> str:
    """The record written before a plan's first operation runs."""
    return f"{PREFIX}{identity}@started"


def operation_record(identity: str, index: int) -> str:
    """The record of operation ``index`` (0-based) having succeeded."""
    return f"{PREFIX}{identity}#{index + 1}"


def statement_record(identity: str, index: int, statement: int) -> str:
    """The record of statement ``statement`` (0-based) of raw-SQL operation ``index`` (0-based) having run."""
    return f"{PREFIX}{identity}#{index + 1}.{statement + 1}"


def done_record(identity: str, indexes: Iterable[int]) -> str:
    """One record naming every operation (0-based ``indexes``) a run that stopped part-way completed."""
    return f"{PREFIX}{identity}@done:{format_ranges(index + 1 for index in indexes)}"


def format_ranges(numbers: Iterable[int]) -> str:
    """``1,2,3,5`` as ``1-3,5`` (sorted, duplicates ignored; empty for none)."""
    parts: list[str] = []
    ordered = sorted(set(numbers))
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        first, last = ordered[start], ordered[end]
        parts.append(str(first) if first == last else f"{first}-{last}")
        start = end + 1
    return ",".join(parts)


def parse_ranges(text: str) -> set[int]:
    """The numbers of a :func:`format_ranges` text; raises ValueError on anything else."""
    numbers: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if low < 1 or high < low:
            raise ValueError(f"bad range {part!r}")
        numbers.update(range(low, high + 1))
    return numbers


@attrs.frozen
class PlanProgress:
    """What the applied list says about one plan."""

    applied: bool = False
    started: bool = False
    operations: frozenset[int] = frozenset()
    """The operations (0-based) known to have succeeded."""
    statements: dict[int, frozenset[int]] = attrs.field(factory=dict)
    """For raw-SQL operations not finished: the statements (0-based) known to have run."""

    @property
    def partial(self) -> bool:
        """Started and not finished."""
        return self.started and not self.applied


def read_progress(applied: Sequence[str], identity: str) -> PlanProgress:
    """The progress of plan ``identity`` recorded in ``applied`` (unreadable records of it are ignored: they can
    only make a plan look less finished, never more)."""
    own = f"{PREFIX}{identity}"
    operations: set[int] = set()
    statements: dict[int, set[int]] = {}
    applied_flag = started = False
    for record in applied:
        if not record.startswith(own):
            continue
        rest = record[len(own):]
        try:
            if rest == "":
                applied_flag = True
            elif rest == "@started":
                started = True
            elif rest.startswith("@done:"):
                operations.update(number - 1 for number in parse_ranges(rest[len("@done:"):]))
            elif rest.startswith("#"):
                number, _, statement = rest[1:].partition(".")
                if statement:
                    statements.setdefault(int(number) - 1, set()).add(int(statement) - 1)
                else:
                    operations.add(int(number) - 1)
        except ValueError:
            continue
    return PlanProgress(applied=applied_flag, started=started or applied_flag, operations=frozenset(operations),
                        statements={index: frozenset(done) for index, done in statements.items()
                                    if index not in operations})
