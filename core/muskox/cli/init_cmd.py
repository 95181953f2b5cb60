"""``muskox init [DIR]``: a new project — ``muskox.toml``, ``app/main.py`` with one example table, ``.gitignore``."""

from __future__ import annotations

import re
from pathlib import Path

import click

from muskox.cli.context import AppContext, pass_app
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode

#: Database names a project must not take (the embedded server's ``default`` is read-only).
_RESERVED_DATABASES = frozenset({"default", "system", "information_schema", "INFORMATION_SCHEMA"})

_CONFIG = """\
# The muskox project {name!r}, written by `muskox init`. Every key: `muskox config show`.
#
# Without a URL, muskox talks to the embedded ClickHouse of `muskox local start` (`muskox dev` starts it) on
# 127.0.0.1:18123. For another server set `url = "https://user:password@host:8443/{database}"` below, or pass
# --clickhouse-url to a command (MUSKOX_CLICKHOUSE_CONFIG__URL works too).

[project]
source_dir = "app"          # the Python package holding the declarations
main_module = "main.py"     # imported by every command; import your other modules from it

[clickhouse_config]
db_name = "{database}"
host = "127.0.0.1"
host_port = 18123
native_port = 19000

[state_config]
# The last applied state and the migration lock. "file" keeps them in .muskox/state (local work);
# use "clickhouse" (a KeeperMap table) or "redis" for a shared server.
storage = "file"
"""

_MAIN = '''\
"""The declarations of this project: muskox imports this module and manages every table it declares."""

from datetime import datetime

from pydantic import BaseModel

from muskox import Key, OlapConfig, OlapTable


class Event(BaseModel):
    id: Key[str]
    ts: datetime
    kind: str


events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id", "ts"]))
'''

_GITIGNORE = """\
# muskox's local files: the embedded ClickHouse's data, the file state store, logs
.muskox/
__pycache__/
"""

#: Existing files that mean a project is already there (none is ever overwritten).
_PROJECT_FILES = ("muskox.toml", "moose.config.toml")


def database_name(directory: Path) -> str:
    """The project's database: its directory's name as an identifier (``my-app`` → ``my_app``), never a
    database the server reserves."""
    name = re.sub(r"\W+", "_", directory.name, flags=re.ASCII).strip("_").lower() or "app"
    if name[0].isdigit() or name in _RESERVED_DATABASES:
        name = f"app_{name}"
    return name


def project_files(directory: Path) -> dict[Path, str]:
    """The files ``muskox init`` writes into ``directory``, with their text."""
    database = database_name(directory)
    return {
        directory / "muskox.toml": _CONFIG.format(name=directory.name, database=database),
        directory / "app" / "main.py": _MAIN,
        directory / ".gitignore": _GITIGNORE,
    }


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_app
def init_command(app: AppContext, directory: Path | None) -> int:
    """Create a project in DIRECTORY (default: the project directory, `.`): muskox.toml, app/main.py with one
    example table, and .gitignore. Existing files are never overwritten: if any is there, nothing is written."""
    root = (directory if directory is not None else app.project_dir).absolute()
    files = project_files(root)
    existing = [path for path in (*files, *(root / name for name in _PROJECT_FILES)) if path.exists()]
    if existing:
        shown = ", ".join(sorted({_shown(path) for path in existing}))
        raise MuskoxError(f"{shown} already exist{'s' if len(existing) == 1 else ''}; muskox init never overwrites "
                          "files and wrote nothing", "run it in a new or empty directory (muskox init DIR)",
                          exit_code=ExitCode.USAGE)
    if root.exists() and not root.is_dir():
        raise MuskoxError(f"{root} is not a directory", "give a directory to create the project in",
                          exit_code=ExitCode.USAGE)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as file:  # "x": never replace a file created meanwhile
            file.write(text)
    here = Path.cwd().absolute()
    where = "." if root == here else (root.relative_to(here).as_posix() if root.is_relative_to(here) else str(root))
    click.echo(f"created {where}: muskox.toml, app/main.py (table 'events'), .gitignore")
    click.echo("next:" + (f" cd {where} &&" if where != "." else "") + " muskox dev   "
               "(or: muskox local start && muskox plan)")
    return ExitCode.OK


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd().absolute()).as_posix()
    except ValueError:
        return str(path)
