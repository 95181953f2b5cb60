"""``muskox db pull``: declarations for what an existing database holds, written as one Python module.

The database is read by the OLAP backend's introspection (a constant number of queries); the module is written
by :class:`muskox.files.declarations.DeclarationModule`, so it collects back to exactly what the server has and
the next ``plan`` is empty. What the declaration API cannot express is left out, each with a reason
(:attr:`PullSelection.skipped`): tables of engines without a declaration class, materialized views outside the
project's default database (they have no ``database`` option) or writing into a table that is not pulled,
dictionaries the declaration API cannot say (:mod:`muskox.files.dictionary_source`), and objects the project's
code already declares (pulling them again would declare them twice).
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Protocol, TypeVar

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.files.declarations import DeclarationModule, has_declaration_class
from muskox.model.dictionary import Dictionary
from muskox.model.engines import engine_name
from muskox.model.infra_map import InfraMap
from muskox.model.resources import MaterializedView, View
from muskox.model.table import LifeCycle, Table
from muskox.plugin.dialect import Dialect


class _HasName(Protocol):
    """An object the pull selects by name: a view or a dictionary."""

    @property
    def database(self) -> str | None: ...

    @property
    def name(self) -> str: ...


Named = TypeVar("Named", bound=_HasName)

__all__ = ["PullSelection", "import_line", "module_name", "pull_source", "select", "write_pull"]

Identity = tuple[str, str]
"""(database, name): an object's physical identity."""


@attrs.frozen
class PullSelection:
    """What to declare, and what was left out and why (one line each)."""

    tables: tuple[Table, ...]
    views: tuple[View, ...]
    materialized_views: tuple[MaterializedView, ...]
    skipped: tuple[str, ...]
    dictionaries: tuple[Dictionary, ...] = ()

    def summary(self, dictionaries: int | None = None) -> str:
        """``3 tables, 1 view, 0 materialized views`` (``, 2 dictionaries`` when there are any; ``dictionaries``:
        how many were declared, when some were left out)."""
        counts = [(len(self.tables), "table"), (len(self.views), "view"),
                  (len(self.materialized_views), "materialized view")]
        declared = len(self.dictionaries) if dictionaries is None else dictionaries
        if declared:
            counts.append((declared, "dictionary"))
        return ", ".join(_count(number, noun) for number, noun in counts)


def _count(number: int, noun: str) -> str:
    if number != 1 and noun.endswith("y"):
        return f"{number} {noun[:-1]}ies"
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _matches(name: str, pattern: str | None) -> bool:
    return pattern is None or fnmatch.fnmatchcase(name, pattern)


def select(reality: InfraMap, *, pattern: str | None = None, declared: Collection[Identity] = (),
           default_database: str) -> PullSelection:
    """The objects of ``reality`` to declare: those whose name matches the glob ``pattern`` (all when None), and
    the target tables of the materialized views chosen; minus what the code already ``declared``.

    :param default_database: the project's default database (materialized views elsewhere are left out).
    """
    skipped: list[str] = []
    declared = set(declared)

    def identity(database: str | None, name: str) -> Identity:
        return (database or reality.default_database, name)

    tables = {identity(t.database, t.name): t for t in reality.tables.values()}
    chosen: dict[Identity, Table] = {}

    def take_table(key: Identity) -> bool:
        table = tables[key]
        if key in declared:
            skipped.append(f"table {key[0]}.{key[1]}: already declared in the code")
            return False
        if not has_declaration_class(table.engine):
            skipped.append(f"table {key[0]}.{key[1]}: engine {engine_name(table.engine)} has no declaration class")
            return False
        chosen[key] = table
        return True

    materialized: list[MaterializedView] = []
    for mv in reality.materialized_views.values():
        key = identity(mv.database, mv.name)
        if not _matches(mv.name, pattern):
            continue
        target = identity(mv.target_database or mv.database, mv.target_table)
        if key in declared:
            skipped.append(f"materialized view {key[0]}.{key[1]}: already declared in the code")
        elif key[0] != default_database:
            skipped.append(f"materialized view {key[0]}.{key[1]}: not in the project's default database "
                           f"{default_database!r} (materialized views are declared there only)")
        elif target not in tables:
            skipped.append(f"materialized view {key[0]}.{key[1]}: its target table {target[0]}.{target[1]} is not in "
                           "the database pulled")
        elif target not in chosen and not take_table(target):
            skipped.append(f"materialized view {key[0]}.{key[1]}: its target table {target[0]}.{target[1]} is not "
                           "pulled")
        else:
            materialized.append(mv)
    for key in sorted(tables):
        if key not in chosen and _matches(key[1], pattern):
            take_table(key)
    def undeclared(kind: str, objects: Iterable[Named]) -> list[Named]:
        """The objects whose names match, less those the code declares already (said in ``skipped``)."""
        taken = []
        for item in objects:
            key = identity(item.database, item.name)
            if not _matches(item.name, pattern):
                continue
            if key in declared:
                skipped.append(f"{kind} {key[0]}.{key[1]}: already declared in the code")
            else:
                taken.append(item)
        return taken

    views = undeclared("view", reality.views.values())
    dictionaries = undeclared("dictionary", reality.dictionaries.values())
    return PullSelection(tables=tuple(chosen[k] for k in sorted(chosen)), views=tuple(views),
                         materialized_views=tuple(materialized), skipped=tuple(skipped),
                         dictionaries=tuple(sorted(dictionaries, key=lambda d: d.name)))


def _view_order(views: tuple[View, ...]) -> list[View]:
    """Views after the views their query names (so that ``base_tables`` can refer to them); cycles, which a
    database cannot hold, fall back to name order."""
    remaining = {v.name: v for v in views}
    ordered: list[View] = []
    while remaining:
        ready = [v for v in remaining.values()
                 if not any(other != v.name and other in v.select_sql for other in remaining)]
        for view in ready or [next(iter(remaining.values()))]:
            ordered.append(view)
            del remaining[view.name]
    return ordered


def pull_source(selection: PullSelection, dialect: Dialect, *, database: str, default_database: str,
                life_cycle: LifeCycle, left_out: list[str] | None = None) -> str:
    """The module declaring ``selection`` (pulled from ``database``; objects of ``default_database`` are
    declared without ``database=``) with ``life_cycle``; a dictionary the declaration API cannot say is added
    to ``left_out`` with the reason instead."""
    module = DeclarationModule(dialect, default_database=default_database, life_cycle=life_cycle)
    for table in selection.tables:
        module.add_table(table)
    for view in _view_order(selection.views):
        module.add_view(view)
    for materialized_view in selection.materialized_views:
        module.add_materialized_view(materialized_view)
    declared = 0
    for dictionary in selection.dictionaries:
        try:
            module.add_dictionary(dictionary)
            declared += 1
        except ValueError as reason:
            if left_out is not None:
                left_out.append(f"dictionary {dictionary.database or database}.{dictionary.name}: {reason}")
    managed = ("EXTERNALLY_MANAGED: muskox never creates, changes or drops them"
               if life_cycle is LifeCycle.EXTERNALLY_MANAGED else "muskox manages them from now on")
    return module.source([
        f"Declarations pulled from the database {database!r} by `muskox db pull` "
        f"({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}).",
        "",
        f"{selection.summary(declared)}; {managed}.",
        "Edit freely: this file is yours now (pull again with --force to start over).",
    ])


def module_name(project_dir: Path, output: Path) -> str:
    """The dotted module name of ``output`` (a ``.py`` file inside the project), as the main module imports it.

    :raises MuskoxError: (usage) the file is outside the project or its path is not made of identifiers.
    """
    try:
        relative = output.resolve().relative_to(project_dir.resolve())
    except ValueError:
        raise MuskoxError(f"--output {output} is outside the project {project_dir}",
                          "write the module inside the project's source directory (e.g. app/pulled.py)",
                          exit_code=ExitCode.USAGE) from None
    parts = [*relative.parent.parts, relative.stem]
    if relative.suffix != ".py" or not all(p.isidentifier() for p in parts):
        raise MuskoxError(f"--output {relative.as_posix()} cannot be imported as a module",
                          "use a .py file whose path is made of Python identifiers (e.g. app/pulled.py)",
                          exit_code=ExitCode.USAGE)
    return ".".join(parts)


def import_line(module: str) -> str:
    """The line the main module gets: ``import app.pulled  # noqa: F401 ...``."""
    return f"import {module}  # noqa: F401 - declarations pulled from the database (muskox db pull)"


def write_pull(source: str, *, project_dir: Path, output: Path, main: Path) -> bool:
    """Write ``source`` to ``output`` and import it from the ``main`` module (created when missing; the import is
    added once). True when the import line was added."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(source, encoding="utf-8")
    line = import_line(module_name(project_dir, output))
    text = main.read_text(encoding="utf-8") if main.is_file() else \
        '"""The project\'s declarations: muskox imports this module (and what it imports)."""\n'
    if line in text.splitlines():
        return False
    main.parent.mkdir(parents=True, exist_ok=True)
    main.write_text(text + ("" if text.endswith("\n") or not text else "\n") + line + "\n", encoding="utf-8")
    return True
