"""The ``muskox dev`` loop: one cycle at start, then one per group of saves, until Ctrl-C.

Every cycle ends with one status line on stdout: ``✓ Applied N operation(s) in T s`` after the change lines,
``· No changes``, or an error block on stderr (``✗ …``) after which the loop keeps watching. Saves that arrive
during a cycle are handed over together when it ends (:class:`muskox.dev.watcher.SourceWatcher`), so they cost
one more cycle, not one each.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterable
from pathlib import Path

import click

from muskox.declare.errors import DeclarationError
from muskox.dev.cycle import CycleResult, DevApplyFailed, DevCycle
from muskox.dev.render import changes_text, error_block, paths_text
from muskox.dev.stopping import DevStopped
from muskox.dev.watcher import SourceWatcher
from muskox.errors import MuskoxError
from muskox.logs.handler import event
from muskox.logs.records import DEV_CYCLE
from muskox.masking import mask_text
from muskox.plugin.dialect import Dialect

log = logging.getLogger("muskox.dev")

_COLORS = {"+": "green", "-": "red", "~": "yellow"}
WAITING = "watching for the next save"


class DevLoop:
    """Runs :class:`DevCycle` s as the watcher reports saves, and prints what each did.

    :param project_dir: paths are shown relative to it.
    """

    def __init__(self, cycle: DevCycle, watcher: SourceWatcher, dialect: Dialect, project_dir: Path,
                 default_database: str | None = None) -> None:
        self.cycle = cycle
        self.default_database = default_database
        self.watcher = watcher
        self.dialect = dialect
        self.project_dir = project_dir
        self.cycles = 0

    def run_forever(self) -> None:
        """Cycle on every group of saves; returns only by an exception (Ctrl-C is ``KeyboardInterrupt``)."""
        while True:
            changed = self.watcher.wait()
            if changed:
                self.run_cycle(changed)

    def run_cycle(self, changed: Iterable[Path] = ()) -> CycleResult | None:
        """One cycle, printed; None when it failed (the failure was printed)."""
        self.cycles += 1
        paths = sorted(self._relative(path) for path in changed)
        if paths:
            click.echo(f"Change detected: {paths_text(paths)}")
        started = time.perf_counter()
        try:
            result = self.cycle.run()
        except DeclarationError as exc:
            self._failed("The project's code failed to load (nothing was applied):", exc.one_line(), started)
            return None
        except DevApplyFailed as exc:
            self._failed("Applying the change failed:", exc.one_line(), started)
            return None
        except DevStopped:
            raise  # a signal arrived while applying: dev ends (see muskox.dev.stopping)
        except MuskoxError as exc:
            self._failed("The cycle failed (nothing more was applied):", exc.one_line(), started)
            return None
        except Exception:
            self._failed("Unexpected failure (a bug in muskox or a plugin; please report it):",
                         traceback.format_exc().rstrip(), started)
            return None
        self._show(result)
        event(log, DEV_CYCLE, f"dev cycle {self.cycles}: {result.outcome}", cycle=self.cycles,
              outcome=result.outcome, operations=len(result.operations), seconds=round(result.seconds, 4))
        return result

    def _show(self, result: CycleResult) -> None:
        for line in changes_text(result.changes, self.dialect, self.default_database):
            click.secho(line, fg=_COLORS.get(line.lstrip()[:1]))
        for held in result.held:
            click.secho(f"! Skipped {held}", fg="magenta")
        for blocked in result.blocked:
            click.secho(f"x Blocked: {blocked.reason}", fg="magenta")
        for path in result.written:
            click.echo(f"wrote {self._relative(path)}")
        if result.outcome == "applied":
            click.secho(f"✓ Applied {len(result.operations)} operation(s) in {result.seconds:.2f} s", fg="green")
        else:
            click.echo("· No changes")

    def _failed(self, heading: str, message: str, started: float) -> None:
        seconds = time.perf_counter() - started
        click.secho(error_block(heading, mask_text(message), WAITING), fg="red", err=True)
        event(log, DEV_CYCLE, f"dev cycle {self.cycles}: failed", cycle=self.cycles, outcome="failed",
              operations=0, seconds=round(seconds, 4), error=mask_text(message.splitlines()[0] if message else ""))

    def _relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.project_dir).as_posix()
        except ValueError:
            return str(path)
