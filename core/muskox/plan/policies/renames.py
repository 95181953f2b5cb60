"""Column-rename detection (spec 7.1): a dropped and an added column that are probably one column renamed.

Scoring, per (removed, added) pair of one table: a different type scores 0 (never a rename); the same type
scores 0.4, plus up to 0.2 for position proximity, 0.03 for each equal property (nullable, unique, primary key,
default, codec) and up to 0.25 for name similarity (Levenshtein). Pairs under 0.5 are discarded; the best pairs
are matched greedily, each column used once. Detected renames are proposals: the caller confirms each one.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from muskox.model.table import Column, Table
from muskox.plan.changes import Change, ColumnAdded, ColumnChange, ColumnRemoved, ColumnRenamed, TableAltered

THRESHOLD = 0.5


@attrs.frozen
class RenameProposal:
    """A probable rename of ``before`` to ``after`` in table ``table_key``, with its score."""

    table_key: str
    table: str
    before: Column
    after: Column
    score: float


def levenshtein(a: str, b: str) -> int:
    """Edit distance between two strings."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def score(before: Column, after: Column, old: Table, new: Table) -> float:
    """How likely ``after`` is ``before`` renamed (0 to 1)."""
    if before.data_type != after.data_type:
        return 0.0
    total = 0.4
    max_columns = max(len(old.columns), len(new.columns), 1)
    position_before = next(i for i, c in enumerate(old.columns) if c.name == before.name)
    position_after = next(i for i, c in enumerate(new.columns) if c.name == after.name)
    total += 0.2 * (1 - abs(position_before - position_after) / max_columns)
    total += 0.03 * sum(bool(getattr(before, p) == getattr(after, p))
                        for p in ("nullable", "unique", "primary_key", "default", "codec"))
    longest = max(len(before.name), len(after.name), 1)
    total += 0.25 * (1 - levenshtein(before.name, after.name) / longest)
    return float(total)


def detect_renames(changes: list[Change]) -> list[RenameProposal]:
    """Every probable rename among the column drops and adds of altered tables."""
    proposals: list[RenameProposal] = []
    for change in changes:
        if not isinstance(change, TableAltered):
            continue
        removed = [c.column for c in change.columns if isinstance(c, ColumnRemoved)]
        added = [c.column for c in change.columns if isinstance(c, ColumnAdded)]
        scored = sorted(
            ((score(r, a, change.before, change.after), index_r, index_a)
             for index_r, r in enumerate(removed) for index_a, a in enumerate(added)),
            key=lambda item: (-item[0], item[1], item[2]),
        )
        used_removed: set[int] = set()
        used_added: set[int] = set()
        for value, index_r, index_a in scored:
            if value < THRESHOLD or index_r in used_removed or index_a in used_added:
                continue
            used_removed.add(index_r)
            used_added.add(index_a)
            proposals.append(RenameProposal(change.key, change.after.name, removed[index_r], added[index_a], value))
    return proposals


def apply_renames(changes: list[Change], accepted: list[RenameProposal]) -> list[Change]:
    """Replace each accepted drop+add pair by a :class:`ColumnRenamed` at the added column's place."""
    by_table: dict[str, dict[str, RenameProposal]] = {}
    for proposal in accepted:
        by_table.setdefault(proposal.table_key, {})[proposal.after.name] = proposal
    result: list[Change] = []
    for change in changes:
        renames = by_table.get(change.key) if isinstance(change, TableAltered) else None
        if not renames or not isinstance(change, TableAltered):
            result.append(change)
            continue
        dropped = {p.before.name for p in renames.values()}
        columns: list[ColumnChange] = []
        for column_change in change.columns:
            if isinstance(column_change, ColumnRemoved) and column_change.column.name in dropped:
                continue
            if isinstance(column_change, ColumnAdded) and column_change.column.name in renames:
                proposal = renames[column_change.column.name]
                columns.append(ColumnRenamed(proposal.before, proposal.after))
                continue
            columns.append(column_change)
        result.append(attrs.evolve(change, columns=tuple(columns)))
    return result


Decide = Callable[[RenameProposal, int, int], str]
"""Asks about one proposal (``proposal, i, n``) and answers ``"y"`` (rename), ``"n"`` (drop + add) or ``"c"``."""
