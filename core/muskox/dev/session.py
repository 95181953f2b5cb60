"""A ``muskox dev`` run: the server, the connections, the collector and the watcher, and a clean stop.

    local server (when the config names none) ─► backends + state store ─► first cycle ─► watch ─► cycles …
    Ctrl-C or SIGTERM ─► stop watching ─► stop the spare collector ─► close ─► stop the server if dev started it

The OLAP backend says whether there is a local server to use (:meth:`OlapBackend.local_server`); the core never
names one.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import attrs
import click

from muskox.config import Config
from muskox.dev.collector import Collector, CollectRequest
from muskox.dev.cycle import DevCycle, DevSettings
from muskox.dev.loop import DevLoop
from muskox.dev.stopping import DevStopped, leave_now
from muskox.dev.watcher import SourceWatcher
from muskox.errors import ConfigError
from muskox.plan.policies.approvals import Prompter
from muskox.plugin.backends import OLAP_BACKEND, open_backends
from muskox.plugin.interfaces import LocalServer
from muskox.plugin.manager import Plugins
from muskox.state import default_owner, open_state_store


@attrs.frozen
class DevRun:
    """Where ``dev`` runs: the project, its config file and tenant, and the effective config."""

    plugins: Plugins
    config: Config
    project_dir: Path
    config_file: Path | None = None
    tenant: str | None = None


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM stops the main thread as Ctrl-C does (``KeyboardInterrupt``), so both clean up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def source_root(run: DevRun) -> Path:
    """The directory watched: ``<project>/<source_dir>``; a missing one is a config error."""
    root = (run.project_dir / run.config.project.source_dir).resolve()
    if not root.is_dir():
        raise ConfigError(f"the source directory {root} does not exist",
                          "create it with your main module, or set [project] source_dir in muskox.toml")
    return root


def run_dev(run: DevRun, settings: DevSettings) -> None:
    """Run ``dev`` until Ctrl-C or SIGTERM (see the module); returns after a clean stop."""
    root = source_root(run)
    local = run.plugins.olap_backend(OLAP_BACKEND).local_server(run.config, run.project_dir)
    started = False
    stopped: DevStopped | None = None
    with sigterm_as_interrupt():
        try:
            if local is not None:
                started = _start_local(local)
            _serve(run, settings, root)
        except KeyboardInterrupt:
            click.echo("Stopping.")
        except DevStopped as exc:  # a signal while applying: the report is printed once dev has cleaned up
            stopped = exc
        finally:
            if started and local is not None:
                local.stop()
                click.echo(f"Stopped the local server that dev started ({local.describe()}).")
    if stopped is not None:
        if stopped.abandoned:
            leave_now(stopped)
        raise stopped


def _start_local(local: LocalServer) -> bool:
    click.echo("Starting the local server (no server URL is configured)…")
    started = local.start()
    click.echo(f"{'Started' if started else 'Using the running'} local server at {local.describe()}")
    return started


def _serve(run: DevRun, settings: DevSettings, root: Path) -> None:
    with open_backends(run.plugins, run.config) as backends, \
            open_state_store(run.config, run.plugins, project_dir=run.project_dir,
                             dialect=backends.dialect) as store:
        collector = Collector(CollectRequest(run.project_dir, run.config_file, run.tenant, backends.database),
                              backends.dialect)
        watcher = SourceWatcher(root)
        try:
            collector.warm()
            watcher.start()
            click.echo(f"Database {backends.database} on {_server_text(backends)}; state in {store.where()}")
            cycle = DevCycle(collect=collector.collect, backends=backends, store=store, dialect=backends.dialect,
                             settings=settings, prompter=_prompter(settings), lock_owner=default_owner())
            loop = DevLoop(cycle, watcher, backends.dialect, run.project_dir, backends.database)
            loop.run_cycle()
            click.echo(f"Watching {_shown(root, run.project_dir)}/ for changes (Ctrl-C to stop)")
            loop.run_forever()
        finally:
            watcher.stop()
            collector.close()


def _server_text(backends: object) -> str:
    url = getattr(getattr(backends, "olap", None), "url", None)
    masked = getattr(url, "masked", None)
    return str(masked()) if callable(masked) else "the configured server"


def _prompter(settings: DevSettings) -> Prompter | None:
    if not settings.interactive:
        return None
    from muskox.cli.prompts import TerminalPrompter

    return TerminalPrompter()


def _shown(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base.resolve()).as_posix() or "."
    except ValueError:
        return str(path)
