"""``muskox migrate --validate``: check the committed migration files without a database.

Delta mode (spec 3.3):

1. every file parses, ids are unique and match the file names;
2. the **fold from empty**: all files, in id order, applied to an empty state with strict preconditions
   (creating what exists, changing what does not, … is an error naming the file and the delta);
3. **conflicts** between files generated against the same state (same ``parent_state_hash``, typically on two
   branches): when both touch the same table, view or materialized view — both change it, or one drops it
   while the other changes it — they cannot both be right. Files sharing a parent without touching the same
   object are reported too: once the first is applied, the second's parent hash no longer matches and
   ``muskox migrate`` would stop at it, so it must be regenerated;
4. when the first file starts from an empty database, each later file's parent hash should be the hash of
   the files before it folded from empty; a mismatch is a warning (a change made outside the files).

Snapshot mode: ``plan.yaml`` and both snapshots parse, and folding the plan's operations over
``remote_state.json`` reaches ``local_infra_map.json`` (compared normalized, as drift checks compare);
differences the lifecycle rules explain (a protected table the code dropped) are notes, others are problems.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import attrs

from muskox.apply.drift import describe
from muskox.files import delta as d
from muskox.files.delta import MigrationFile, load_migrations
from muskox.files.delta_operations import fold_migration
from muskox.files.plan_yaml import PLAN_FILE
from muskox.files.snapshot import LOCAL_INFRA_MAP_FILE, REMOTE_STATE_FILE, Snapshot, read_snapshot
from muskox.files.state_hash import state_hash
from muskox.model.dictionary import Dictionary
from muskox.model.infra_map import InfraMap, moose_table_key
from muskox.model.operations import (
    CreateDictionary,
    CreateMaterializedView,
    CreateTable,
    DropDictionary,
    DropMaterializedView,
    Operation,
    ReplaceDictionary,
    TableOperation,
)
from muskox.model.resources import MaterializedView, Topic
from muskox.model.table import LifeCycle, Table
from muskox.model.topic_operations import CreateTopic, TopicOperation
from muskox.plan.differ import DiffOptions, diff
from muskox.plan.fold import FoldError, apply
from muskox.plan.policies.lifecycle import apply_lifecycle
from muskox.plugin.dialect import Dialect


@attrs.frozen
class ValidationReport:
    """``problems`` make validation fail; ``warnings`` and ``notes`` are shown."""

    checked: str
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems


# -- delta mode ---------------------------------------------------------------------------------------------


def validate_deltas(directory: Path, default_database: str, dialect: Dialect) -> ValidationReport:
    """Validate the committed migration files of ``directory`` (parse errors raise :class:`PlanInvalid`); states
    are hashed in the OLAP backend's ``dialect``."""
    migrations = load_migrations(directory, dialect)
    if not migrations:
        return ValidationReport(checked=f"no migration files in {directory}")
    problems: list[str] = []
    warnings: list[str] = []
    empty = InfraMap(default_database=default_database)
    state = empty
    hashes: list[str] = []
    fold_failure: tuple[int, FoldError] | None = None
    for index, migration in enumerate(migrations):
        hashes.append(state_hash(state, dialect))
        try:
            state = fold_migration(state, migration)
        except FoldError as exc:
            fold_failure = (index, exc)
            break
    conflicts, siblings = find_conflicts(migrations, default_database)
    sibling_ids = {m.id for group in _by_parent(migrations).values() if len(group) > 1 for m in group}
    broken = _chain_break(migrations, hashes, sibling_ids)
    if fold_failure is not None:
        index, failure = fold_failure
        if broken is not None and broken <= index:  # the file before the break is the one to look at
            edited = migrations[broken - 1]
            problems.append(f"{edited.file_name} was probably edited after the files that follow it were "
                            f"generated (it leaves another state than {migrations[broken].file_name} was "
                            f"generated against), and the fold from an empty database then fails: "
                            f"{failure.problem}")
        else:
            problems.append(f"fold from an empty database: {failure.problem}")
    problems += conflicts
    problems += siblings
    if broken is not None:
        edited, following = migrations[broken - 1], migrations[broken]
        warnings.append(f"{edited.file_name}: the state it leaves is not the one {following.file_name} was "
                        f"generated against (its parent hash): {edited.file_name} was probably edited after "
                        f"{following.file_name} was generated, or the database was changed outside the migration "
                        f"files in between; `muskox migrate` will stop at {following.id} unless the database has "
                        f"that state")
    return ValidationReport(checked=f"{len(migrations)} migration file(s) in {directory}",
                            problems=tuple(problems), warnings=tuple(warnings))


def _chain_break(migrations: Sequence[MigrationFile], hashes: Sequence[str], siblings: Collection[str]) -> int | None:
    """The index of the first file (after the first) whose parent hash is not the hash of the files before it
    folded from empty, when the first file starts from an empty database; files with a sibling (same parent) are
    reported as siblings instead. None when the chain holds (or cannot be checked)."""
    if not hashes or migrations[0].parent_state_hash != hashes[0]:
        return None
    for index, (migration, expected) in enumerate(itertools.islice(zip(migrations, hashes, strict=False), 1,
                                                                   None), 1):
        if migration.parent_state_hash != expected and migration.id not in siblings:
            return index
    return None


def _by_parent(migrations: Sequence[MigrationFile]) -> dict[str, list[MigrationFile]]:
    groups: dict[str, list[MigrationFile]] = {}
    for migration in migrations:
        groups.setdefault(migration.parent_state_hash, []).append(migration)
    return groups


def touched(migration: MigrationFile, default_database: str) -> dict[str, set[str]]:
    """Object → what the file does to it (``create``, ``drop``, ``change``); objects are named
    ``table <id>``, ``view <name>``, ``materialized view <name>``, ``topic <name>``."""
    actions: dict[str, set[str]] = {}

    def note(obj: str, action: str) -> None:
        actions.setdefault(obj, set()).add(action)

    for delta in migration.deltas:
        match delta:
            case d.CreateTable(table=table):
                note(f"table {moose_table_key(table, default_database)}", "create")
            case d.DropTable(table=table):
                note(f"table {moose_table_key(table, default_database)}", "drop")
            case d.RecreateTable(before=before):
                note(f"table {moose_table_key(before, default_database)}", "drop")
            case d.TableDelta(table_id=key):
                note(f"table {key}", "change")
            case d.CreateView(view=view):
                note(f"view {view.name}", "create")
            case d.DropView(view=view):
                note(f"view {view.name}", "drop")
            case d.CreateMaterializedView(mv=mv):
                note(f"materialized view {mv.name}", "create")
            case d.DropMaterializedView(mv=mv):
                note(f"materialized view {mv.name}", "drop")
            case d.CreateTopic(topic=topic):
                note(f"topic {topic.name}", "create")
            case d.DropTopic(topic=topic):
                note(f"topic {topic.name}", "drop")
            case d.ModifyTopicConfig(topic_name=name) | d.IncreaseTopicPartitions(topic_name=name):
                note(f"topic {name}", "change")
    return actions


def _verb(actions: set[str], *, plural: bool = False) -> str:
    verb = "drop" if "drop" in actions else "create" if actions == {"create"} else "change"
    return verb if plural else f"{verb}s"


def find_conflicts(migrations: Sequence[MigrationFile], default_database: str) -> tuple[list[str], list[str]]:
    """``(conflicts, siblings)``: pairs of files with the same parent that touch a common object, and pairs
    that do not (each still breaks the parent-hash chain for the later one)."""
    conflicts: list[str] = []
    siblings: list[str] = []
    for parent, group in _by_parent(migrations).items():
        for first, second in itertools.combinations(group, 2):
            one, two = touched(first, default_database), touched(second, default_database)
            common = sorted(set(one) & set(two))
            if common:
                details = "; ".join(_conflict(obj, first, one[obj], second, two[obj]) for obj in common)
                conflicts.append(f"conflict: {first.file_name} and {second.file_name} were both generated against "
                                 f"state {parent[:12]}… and {details}")
            else:
                siblings.append(f"{first.file_name} and {second.file_name} were both generated against state "
                                f"{parent[:12]}… (on two branches?): once {first.id} is applied, {second.id}'s "
                                f"parent hash no longer matches; regenerate {second.file_name} on top of it")
    return conflicts, siblings


def _conflict(obj: str, first: MigrationFile, one: set[str], second: MigrationFile, two: set[str]) -> str:
    if "drop" in one and "drop" not in two:
        return f"{first.id} drops {obj} while {second.id} {_verb(two)} it"
    if "drop" in two and "drop" not in one:
        return f"{second.id} drops {obj} while {first.id} {_verb(one)} it"
    return f"both {_verb(one | two, plural=True) if one == two else 'change'} {obj}"


# -- snapshot mode ------------------------------------------------------------------------------------------


def validate_snapshot(directory: Path, types: Mapping[str, type[Operation]], dialect: Dialect,
                      ignore: Collection[str] = ()) -> ValidationReport:
    """Fold ``plan.yaml`` over ``remote_state.json`` and compare with ``local_infra_map.json`` (in ``dialect``)."""
    return check_snapshot(read_snapshot(directory, types, dialect), directory, dialect, ignore)


def check_snapshot(snapshot: Snapshot, directory: Path, dialect: Dialect,
                   ignore: Collection[str] = ()) -> ValidationReport:
    """What ``migrate`` checks before it runs anything (and ``migrate --validate`` reports): no operation breaks a
    lifecycle rule (see :func:`lifecycle_violations`), and the operations, folded over ``remote_state.json``, give
    ``local_infra_map.json`` (compared after the one normalization, as drift is)."""
    violations = lifecycle_violations(snapshot.plan.operations, snapshot.local_infra_map, snapshot.remote_state)
    if violations:
        return ValidationReport(checked=f"{PLAN_FILE} in {directory}", problems=tuple(violations))
    state = snapshot.remote_state
    for index, operation in enumerate(snapshot.plan.operations):
        try:
            state = apply(state, operation)
        except FoldError as exc:
            return ValidationReport(checked=f"{PLAN_FILE} in {directory}", problems=(
                f"{PLAN_FILE}: operations[{index}] ({type(operation).__name__}) does not apply to "
                f"{REMOTE_STATE_FILE} with the operations before it: {exc.problem}",))
    local = snapshot.local_infra_map
    reached = _with_lifecycles(state, local)
    allowed, blocked = apply_lifecycle(diff(reached, local, dialect, DiffOptions(frozenset(ignore))))
    problems = tuple(f"{PLAN_FILE} does not reach {LOCAL_INFRA_MAP_FILE}: {describe(change)}" for change in allowed)
    notes = tuple(f"not reached, as the lifecycle rules say: {item.reason}" for item in blocked)
    return ValidationReport(checked=f"{PLAN_FILE} ({len(snapshot.plan.operations)} operation(s)) with "
                                    f"{REMOTE_STATE_FILE} and {LOCAL_INFRA_MAP_FILE} in {directory}",
                            problems=problems, notes=notes)


def lifecycle_violations(operations: Sequence[Operation], local: InfraMap, remote: InfraMap) -> list[str]:
    """One line per operation that breaks a lifecycle rule: any operation on an ``EXTERNALLY_MANAGED`` table,
    materialized view or topic, and a destructive one (a drop, a recreate's drop, a column drop) on a
    ``DELETION_PROTECTED`` one. The lifecycle is the code's (``local``), else the one last recorded
    (``remote``: a protected table the code no longer declares stays protected)."""
    lines = []
    for index, operation in enumerate(operations):
        life_cycle = _life_cycle(operation, local) or _life_cycle(operation, remote)
        if life_cycle is LifeCycle.EXTERNALLY_MANAGED:
            rule = "it is EXTERNALLY_MANAGED: muskox never changes it"
        elif life_cycle is LifeCycle.DELETION_PROTECTED and operation.destructive:
            rule = "it is DELETION_PROTECTED: muskox never drops it or its data"
        else:
            continue
        lines.append(f"{PLAN_FILE}: operations[{index}] ({type(operation).__name__}: {operation.describe()}) "
                     f"is refused: {rule}")
    return lines


def _life_cycle(operation: Operation, infra: InfraMap) -> LifeCycle | None:
    """The lifecycle ``infra`` records for the object ``operation`` changes (None: unknown, or a view)."""
    database, name = operation.subject()
    physical = (database or infra.default_database, name)
    resources: list[Table | MaterializedView | Topic | Dictionary]
    if isinstance(operation, CreateDictionary | ReplaceDictionary | DropDictionary):
        resources = [d for d in infra.dictionaries.values()
                     if (d.database or infra.default_database, d.name) == physical]
    elif isinstance(operation, CreateTable | TableOperation):
        resources = [t for t in infra.tables.values() if (t.database or infra.default_database, t.name) == physical]
    elif isinstance(operation, CreateMaterializedView | DropMaterializedView):
        resources = [m for m in infra.materialized_views.values()
                     if (m.database or infra.default_database, m.name) == physical]
    elif isinstance(operation, CreateTopic | TopicOperation):
        resources = [t for t in infra.topics.values() if t.name == name]
    else:
        return None
    return resources[0].life_cycle if resources else None


def _with_lifecycles(state: InfraMap, local: InfraMap) -> InfraMap:
    """The code's lifecycles on the folded state (a lifecycle change is no operation: nothing to reach)."""
    tables = {k: attrs.evolve(t, life_cycle=local.tables[k].life_cycle) if k in local.tables else t
              for k, t in state.tables.items()}
    mvs = {k: attrs.evolve(m, life_cycle=local.materialized_views[k].life_cycle)
           if k in local.materialized_views else m for k, m in state.materialized_views.items()}
    dictionaries = {k: attrs.evolve(d, life_cycle=local.dictionaries[k].life_cycle)
                    if k in local.dictionaries else d for k, d in state.dictionaries.items()}
    return attrs.evolve(state, tables=tables, materialized_views=mvs, dictionaries=dictionaries)
