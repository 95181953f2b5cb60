"""Collect a project's declarations: import its main module in isolation and build the target ``InfraMap``.

The main module is imported as Moose does (``app.main`` with the project directory on ``sys.path``), so
``from app.models import Event`` and relative imports work. Isolation: the declarations go into a fresh
:class:`Registry` bound to this call only; modules of the project (and any ``app`` package loaded before)
are taken out of ``sys.modules`` for the import and the previous state is restored afterwards, so two
collections in a row, of the same or different projects, are independent. During the import ``moose_lib`` is
muskox's compatible API (:mod:`muskox.declare.moose_compat`), so a Moose project collects without edits.

The project's code also runs apart from the CLI (:func:`_contained`): while it is imported ``sys.argv`` is
``[<path of the main module>]`` (code that parses arguments sees none of muskox's), everything it prints goes to
stderr (Python's ``sys.stdout`` and file descriptor 1 both point there, so ``--json`` output stays valid), and
``sys.exit(…)``, ``raise SystemExit`` or ``os._exit(…)`` do not end muskox: each is a :class:`DeclarationError`
naming the file and line of the call (exit code 3, :attr:`muskox.exit_codes.ExitCode.CONFIG`).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)
from os import PathLike
from pathlib import Path
from types import CodeType, ModuleType
from typing import NoReturn

from muskox.declare.code_cache import CodeCache, code_cache_dir
from muskox.declare.errors import DeclarationError
from muskox.declare.moose_compat import moose_lib_aliased
from muskox.declare.registry import Registry, collecting
from muskox.errors import MuskoxError
from muskox.model.infra_map import InfraMap
from muskox.plugin.dialect import Dialect

_IMPORT_LOCK = threading.Lock()
"""``sys.modules`` and ``sys.path`` are process-wide: one collection imports at a time."""


def collect_project(project_dir: str | PathLike[str], *, source_dir: str = "app", main_module: str = "main.py",
                    default_database: str, topic_namespace: str | None = None,
                    dialect: Dialect | None = None) -> InfraMap:
    """Import ``<project_dir>/<source_dir>/<main_module>`` and return every table, view, materialized view and
    stream it declares (directly or in modules it imports) as an :class:`InfraMap`; ``topic_namespace``
    (``redpanda_config.namespace``) prefixes topic names; ``dialect`` (the OLAP backend's; None: the installed
    plugins') reads exact column types and quotes view sources.

    The code is imported afresh every time (no collection is reused, and project modules are compiled from
    their source, never from bytecode files, whose validation by modification time can miss a quick edit).

    Raises :class:`DeclarationError` when the main module is missing, a declaration is invalid or duplicated,
    or importing the project fails.
    """
    project = Path(project_dir).resolve()
    main_path = project / source_dir / main_module
    if not main_path.is_file():
        raise DeclarationError(
            f"no main module at {main_path}",
            f"create {Path(source_dir, main_module).as_posix()} declaring your tables, or set project.source_dir "
            "and project.main_module in muskox.toml to where they are",
        )
    package_dir = main_path.parent
    parts = Path(source_dir).parts
    if main_path.suffix != ".py" or not parts or not all(p.isidentifier() for p in parts) \
            or not main_path.stem.isidentifier():
        raise DeclarationError(f"cannot import {main_path} as a module",
                               "use a source_dir and main_module that are Python identifiers (e.g. app/main.py)")
    module_name = ".".join((*parts, main_path.stem))
    return _collect(project, module_name, package_dir, parts[0], default_database, topic_namespace, dialect)


def _collect(project: Path, module_name: str, package_dir: Path, package: str, default_database: str,
             topic_namespace: str | None, dialect: Dialect | None) -> InfraMap:
    """Import the main module in isolation and return what it declared."""
    registry = Registry(default_database=default_database, project_dir=project, topic_namespace=topic_namespace,
                        dialect=dialect)
    main_file = package_dir / f"{module_name.rpartition('.')[2]}.py"
    with _IMPORT_LOCK, moose_lib_aliased(), _isolated_import(project, package), collecting(registry), \
            _contained(main_file):
        _import(module_name, project, package_dir)
    return registry.infra_map()


class _ProjectExit(BaseException):
    """Raised in place of ``os._exit(status)`` while the project is imported."""

    def __init__(self, status: object) -> None:
        super().__init__(status)
        self.status = status


EXIT_FIX = ("do not exit while the module is imported: move the code that ends the program under "
            "`if __name__ == \"__main__\":` or into a function the application calls")


def _import(module_name: str, project: Path, package_dir: Path) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except MuskoxError:
        raise
    except SystemExit as exc:
        place = _innermost_project_frame(exc, project)
        raise DeclarationError(f"{place}the project's code called sys.exit({_status(exc.code)}) while muskox "
                               f"imported {module_name}; nothing was done", EXIT_FIX) from None
    except _ProjectExit as exc:
        place = _innermost_project_frame(exc, project)
        raise DeclarationError(f"{place}the project's code called os._exit({_status(exc.status)}) while muskox "
                               f"imported {module_name}; nothing was done", EXIT_FIX) from None
    except SyntaxError as exc:
        where = _display(Path(exc.filename), project) if exc.filename else module_name
        raise DeclarationError(f"{where}:{exc.lineno}: syntax error: {exc.msg}", "fix the code") from exc
    except ModuleNotFoundError as exc:
        place = _innermost_project_frame(exc, project)
        raise DeclarationError(
            f"{place}importing {module_name} failed: {exc}",
            f"install the missing package, or import project modules as {package_dir.name}.<module>",
        ) from exc
    except Exception as exc:
        place = _innermost_project_frame(exc, project)
        raise DeclarationError(f"{place}importing {module_name} failed: {type(exc).__name__}: {exc}",
                               "fix the error in the project's code") from exc


def _status(code: object) -> str:
    text = "" if code is None else repr(code)
    return text if len(text) <= 60 else text[:57] + "..."


def _display(path: Path, project: Path) -> str:
    try:
        return path.resolve().relative_to(project).as_posix()
    except ValueError:
        return str(path)


def _innermost_project_frame(exc: BaseException, project: Path) -> str:
    """``file:line: `` of the deepest traceback frame inside the project, or ``""``."""
    place = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if path.is_absolute() and path.resolve().is_relative_to(project):
            place = f"{_display(path, project)}:{frame.lineno}: "
    return place


@contextmanager
def _isolated_import(project: Path, package: str) -> Iterator[None]:
    """Put ``project`` first on ``sys.path`` with no stale ``package`` modules; restore everything after."""
    saved = {name: module for name, module in sys.modules.items() if _in_package(name, package)}
    for name in saved:
        del sys.modules[name]
    before = set(sys.modules)
    saved_path = list(sys.path)
    hook = _project_path_hook(project)
    sys.path.insert(0, str(project))
    _forget_finders(project)
    sys.path_hooks.insert(0, hook)
    importlib.invalidate_caches()
    try:
        yield
    finally:
        real_directories: dict[str, str] = {}
        for name in set(sys.modules) - before:
            if _in_package(name, package) or _is_under(sys.modules[name], project, real_directories):
                del sys.modules[name]
        sys.modules.update(saved)
        sys.path[:] = saved_path
        with contextlib.suppress(ValueError):
            sys.path_hooks.remove(hook)
        _forget_finders(project)


class _ProjectSourceLoader(SourceFileLoader):
    """Compiles a project module from its source, without reading or writing a bytecode file (the project's
    directories stay as they were); modules from elsewhere keep Python's usual bytecode caching. The compilation
    is kept by a hash of the source in the project's :class:`CodeCache` (``.muskox/cache/code``), which can never
    return the code of other source."""

    code_cache: CodeCache | None = None

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        if self.code_cache is None:
            return self.source_to_code(source, path)
        return self.code_cache.code(source, path, self.source_to_code)

    def set_data(self, path: str, data: object, *, _mode: int = 0o666) -> None:
        return None


def _project_path_hook(project: Path) -> Callable[[str], FileFinder]:
    """A ``sys.path_hooks`` entry finding modules in the directories under ``project`` with
    :class:`_ProjectSourceLoader`; any other path is left to the next hook."""

    loader = type("_ProjectSourceLoader", (_ProjectSourceLoader,), {"code_cache": CodeCache(code_cache_dir(project))})

    def hook(path: str) -> FileFinder:
        directory = Path(path or ".")
        if not _within(directory, project) or not directory.is_dir():
            raise ImportError("not a directory of the project")
        return FileFinder(path, (ExtensionFileLoader, EXTENSION_SUFFIXES), (loader, SOURCE_SUFFIXES),
                          (SourcelessFileLoader, BYTECODE_SUFFIXES))

    return hook


def _forget_finders(project: Path) -> None:
    """Drop the cached path finders of ``project``'s directories, so that the next import there asks the hooks."""
    prefix = str(project)
    for entry in list(sys.path_importer_cache):  # a copy: another thread may import meanwhile
        path = Path(entry or ".")
        if (entry.startswith(prefix) or not path.is_absolute()) and _within(path, project):
            sys.path_importer_cache.pop(entry, None)


def _within(path: Path, project: Path) -> bool:
    try:
        return path.resolve().is_relative_to(project)
    except (OSError, RuntimeError):
        return False


@contextmanager
def _contained(main_file: Path) -> Iterator[None]:
    """Run the project's import apart from the CLI: ``sys.argv`` is ``[main_file]``, ``os._exit`` raises
    :class:`_ProjectExit`, and standard output (``sys.stdout`` and file descriptor 1) goes to stderr."""
    saved_argv, saved_exit, saved_stdout = sys.argv, os._exit, sys.stdout
    sys.argv = [str(main_file)]

    def refuse_exit(status: int) -> NoReturn:
        raise _ProjectExit(status)

    os._exit = refuse_exit
    saved_fd = _stdout_to_stderr()
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = saved_stdout
        _restore_stdout(saved_fd)
        os._exit = saved_exit
        sys.argv = saved_argv


def _stdout_to_stderr() -> int | None:
    """Point file descriptor 1 at stderr (output of C code and child processes); its saved copy, or None."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        return None
    try:
        os.dup2(2, 1)
    except OSError:
        os.close(saved)
        return None
    return saved


def _restore_stdout(saved: int | None) -> None:
    if saved is None:
        return
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os.dup2(saved, 1)
    os.close(saved)


def _in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _is_under(module: ModuleType | None, project: Path, real_directories: dict[str, str] | None = None
              ) -> bool:
    """Whether the module's file, all symbolic links resolved, is inside ``project``. ``real_directories``
    remembers resolved directories between calls (the modules of a package share a few)."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    try:
        if real_directories is None:
            return Path(file).resolve().is_relative_to(project)
        path = Path(file).absolute()
        directory = str(path.parent)
        real = real_directories.get(directory)
        if real is None:
            real = real_directories[directory] = str(path.parent.resolve())
        resolved = Path(real, path.name)
        if resolved.is_symlink():
            resolved = resolved.resolve()
        return resolved.is_relative_to(project)
    except OSError:
        return False
