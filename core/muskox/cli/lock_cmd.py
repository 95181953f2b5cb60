"""``muskox lock status`` and ``muskox lock release [--force]``: inspect and clear the migration lock.

``lock release`` without ``--force`` deletes the lock only when nobody can still be using it:

- the lock is stale (its expiry has passed), or
- it was taken on this machine (muskox records ``<hostname>:<pid>`` as the lock's ``machine_id``; the hostname is
  this machine's) by a process that is no longer running (a migration that crashed or was killed).

Any other lock (live, on another machine, or taken by Moose) needs ``--force``, which deletes whatever is there
and prints what it deleted.

Both commands only read (``lock release`` deletes the lock row and nothing else): when the place the store keeps
things does not exist (:meth:`muskox.plugin.interfaces.StateStore.missing`, e.g. a misspelled database), nothing
is created and the command stops with exit 3 naming what is missing.
"""

from __future__ import annotations

import os
import socket

import click

from muskox.cli import output
from muskox.cli.context import AppContext, pass_app
from muskox.cli.options import connection_options, connection_overrides
from muskox.errors import ConfigError
from muskox.plugin.interfaces import StateStore
from muskox.state import LockHeld, LockInfo, open_state_store
from muskox.state.lock_info import utc_now


def _open_store(app: AppContext, clickhouse_url: str | None, redis_url: str | None) -> StateStore:
    config = app.config(connection_overrides(clickhouse_url, redis_url))
    return open_state_store(config, app.plugins, project_dir=app.project_dir)


def _check_exists(store: StateStore) -> None:
    """Stop with exit 3 when the store's database (or table, …) does not exist: a lock cannot be held there."""
    missing = store.missing()
    if missing is not None:
        raise ConfigError(
            f"the {missing} of the state store does not exist ({store.where()}), so no migration lock can be "
            "held there; nothing was created",
            "check where the state is kept (the database name or key prefix in the config, --clickhouse-url, "
            "--redis-url, --tenant); if nothing was ever migrated there, there is no lock (the first "
            "`muskox migrate` creates it)",
        )


def this_machine_state(info: LockInfo) -> str | None:
    """``"running"`` / ``"dead"`` for a lock taken on this machine (by its ``<hostname>:<pid>``), else ``None``."""
    parsed = info.host_and_pid()
    if parsed is None or parsed[0] != socket.gethostname():
        return None
    return "running" if _process_exists(parsed[1]) else "dead"


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def _lock_json(info: LockInfo | None) -> dict[str, object] | None:
    if info is None:
        return None
    return {**info.to_json(), "this_machine": this_machine_state(info)}


@click.group("lock")
def lock_group() -> None:
    """Inspect or clear the migration lock of the configured state store ([state_config] storage)."""


@lock_group.command("status")
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_app
def status_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, as_json: bool) -> None:
    """Show who holds the migration lock, since when, and when it expires."""
    with _open_store(app, clickhouse_url, redis_url) as store:
        info = store.lock_status()
        if info is None:
            _check_exists(store)
        where = store.where()
    if as_json:
        output.emit_json({"store": where, "held": info is not None, "lock": _lock_json(info)})
        return
    if info is None:
        click.echo(f"no migration lock is held ({where})")
        return
    click.echo(f"migration lock held by {info.describe()}")
    if info.is_stale():
        click.echo("  stale: the next migration takes it over (or run `muskox lock release`)")
    elif this_machine_state(info) == "dead":
        click.echo("  its process is no longer running on this machine: `muskox lock release` clears it")
    click.echo(f"  store: {where}")


@lock_group.command("release")
@connection_options
@click.option("--force", is_flag=True, help="Delete the lock whoever holds it, even a live one.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_app
def release_command(app: AppContext, clickhouse_url: str | None, redis_url: str | None, force: bool,
                    as_json: bool) -> None:
    """Delete the migration lock if it is stale or its process on this machine died (any lock with --force)."""
    now = utc_now()
    with _open_store(app, clickhouse_url, redis_url) as store:
        current = store.lock_status()
        if current is None:
            _check_exists(store)
        reason = None
        if current is not None and not force:
            if current.is_stale(now=now):
                reason = "it was stale"
            elif this_machine_state(current) == "dead":
                reason = "its process on this machine is no longer running"
            else:
                raise LockHeld(current, now=now, fix=_refusal_fix(current))
        elif current is not None:
            reason = "forced"
        deleted = store.force_release_lock(None if force else current) if current is not None else None
    if current is not None and deleted is None and not force:
        raise LockHeld(None, problem="the migration lock changed while it was being released; nothing was deleted",
                       fix="run `muskox lock status` and try again")
    if as_json:
        output.emit_json({"released": deleted is not None, "reason": reason if deleted else None,
                          "lock": _lock_json(deleted)})
        return
    if deleted is None:
        click.echo("no migration lock is held; nothing was released")
    else:
        click.echo(f"released the migration lock of {deleted.describe(now=now)} ({reason})")


def dead_holder_fix(holder: LockInfo | None) -> str | None:
    """The fix for a lock whose process on this machine is no longer running (``lock release`` suffices, no
    ``--force``); None for any other holder."""
    if holder is None or this_machine_state(holder) != "dead":
        return None
    parsed = holder.host_and_pid()
    pid = f" (pid {parsed[1]})" if parsed else ""
    return (f"the process holding it{pid} on this machine is no longer running: run `muskox lock release` "
            "(no --force needed), then try again")


def _refusal_fix(holder: LockInfo) -> str:
    if this_machine_state(holder) == "running":
        pid = holder.host_and_pid()
        return (f"its process (pid {pid[1] if pid else '?'}) on this machine is still running: wait for it, "
                "or run `muskox lock release --force` if it hangs")
    return ("wait for that migration to finish, or run `muskox lock release --force` if you are sure it is no "
            "longer running")
