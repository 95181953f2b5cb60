"""The apply lifecycle hooks (``muskox_apply_started``, ``muskox_operation_applied``, ``muskox_apply_finished``)
and the plan checks of a run, behind one object the apply paths call: :class:`RunHooks`.

The per-operation hook comes from an :data:`~muskox.apply.executor.ApplyOne` wrapper (as
:class:`muskox.apply.history.OperationTimer` times operations): it applies the operation, then tells the plugins
what ran, how long it took and how it ended. A hook that raises is reported once per plugin and hook through the
run's ``say`` (and the log) and never changes what happens to the migration: the wrapper re-raises the
operation's own error, never the hook's.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from muskox.apply.executor import ApplyOne, ExecutionReport
from muskox.masking import mask_text
from muskox.model.operations import Operation

if TYPE_CHECKING:
    from muskox.config import Config
    from muskox.model.infra_map import InfraMap
    from muskox.plan.checks import PluginFinding
    from muskox.plugin.dialect import Dialect
    from muskox.plugin.manager import Plugins

log = logging.getLogger("muskox.apply.lifecycle")

STARTED = "muskox_apply_started"
APPLIED = "muskox_operation_applied"
FINISHED = "muskox_apply_finished"


@attrs.frozen(kw_only=True)
class ApplyRun:
    """One run that applies operations: ``command`` (``migrate``, ``prod``), ``mode`` (``snapshot``, ``delta``,
    ``auto`` for ``prod`` without a plan), the tenant, ``label`` (the plan's identity or the migration file's id)
    and the operations in the order of the plan."""

    command: str
    mode: str
    tenant: str | None
    label: str | None
    operations: tuple[Operation, ...]


@attrs.frozen(kw_only=True)
class OperationApplied:
    """One operation that ended: its 1-based ``index`` of ``total``, the statements the backend sent for it
    (credentials masked; empty when the backend cannot render them, e.g. topics), ``seconds``, ``outcome``
    (``ok`` or ``failed``) and the ``error`` of a failed one (masked)."""

    index: int
    total: int
    operation: Operation
    description: str
    statements: tuple[str, ...]
    seconds: float
    outcome: str
    error: str | None = None


@attrs.frozen(kw_only=True)
class ApplyFinished:
    """How the run ended: ``outcome`` (``applied``, ``failed``, ``interrupted``), the executor's ``report`` and
    the first ``error`` (masked)."""

    outcome: str
    report: ExecutionReport
    error: str | None = None


def outcome_of(report: ExecutionReport) -> tuple[str, str | None]:
    """``(outcome, first error)`` of an execution report."""
    error = mask_text(str(report.failed[0].error))[:2000] if report.failed else None
    if report.ok:
        return "applied", None
    return ("interrupted" if report.interrupted else "failed"), error


class RunHooks:
    """The plugin hooks of one ``migrate`` or ``prod`` run: plan checks before it, lifecycle around it.

    ``plugins`` None (a caller that has none) makes every method a no-op. ``approve_findings`` None reads the
    approval from the environment (``MUSKOX_ACCEPT_FINDINGS=1``)."""

    def __init__(self, plugins: Plugins | None, config: Config, *, command: str, mode: str,
                 say: Callable[[str], None], approve_findings: bool | None = None) -> None:
        self._plugins = plugins
        self._config = config
        self._tenant = config.tenant
        self._command, self._mode, self._say = command, mode, say
        if approve_findings is None:
            from muskox.plan.checks import findings_approved

            approve_findings = findings_approved(flag=False, env=os.environ)
        self._approve = approve_findings
        self._run: ApplyRun | None = None
        self._reported: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # -- plan checks -------------------------------------------------------------------------------------------

    def check(self, operations: Sequence[Operation], *, target: InfraMap, current: InfraMap | None = None,
              dialect: Dialect | None = None) -> list[PluginFinding]:
        """The plugins' plan checks over ``operations``: warnings said, unapproved errors raised
        (:class:`muskox.plan.checks.FindingsRefused`, exit 10)."""
        if self._plugins is None:
            return []
        from muskox.plan.checks import PlanGate

        gate = PlanGate(self._plugins, self._approve, self._command, self._say, tenant=self._tenant,
                        config=self._config)
        return gate.check(operations, target=target, current=current, dialect=dialect)

    # -- the lifecycle -----------------------------------------------------------------------------------------

    def wrap(self, apply_one: ApplyOne, operations: Sequence[Operation], *, label: str | None,
             dialect: Dialect | None = None, database: str | None = None) -> ApplyOne:
        """Fire ``muskox_apply_started`` for these operations and return ``apply_one`` wrapped so that
        ``muskox_operation_applied`` fires after each; ``apply_one`` itself when no plugin listens."""
        plugins = self._plugins
        if plugins is None or not any(plugins.implements(h) for h in (STARTED, APPLIED, FINISHED)):
            return apply_one
        run = ApplyRun(command=self._command, mode=self._mode, tenant=self._tenant, label=label,
                       operations=tuple(operations))
        self._run = run
        self._fire(STARTED, run=run)
        if not plugins.implements(APPLIED):
            return apply_one
        return _Notifying(self, run, apply_one, dialect, database)

    def finished(self, report: ExecutionReport) -> None:
        """Fire ``muskox_apply_finished`` for the run :meth:`wrap` started (nothing when none was started)."""
        run, self._run = self._run, None
        if run is None:
            return
        outcome, error = outcome_of(report)
        self._fire(FINISHED, run=run, result=ApplyFinished(outcome=outcome, report=report, error=error))

    def _fire(self, hook: str, **kwargs: object) -> None:
        assert self._plugins is not None
        for outcome in self._plugins.call_each(hook, **kwargs):
            if outcome.error is None:
                continue
            with self._lock:
                first = (outcome.plugin, hook) not in self._reported
                self._reported.add((outcome.plugin, hook))
            message = (f"plugin '{outcome.plugin}' failed in {hook}: {type(outcome.error).__name__}: "
                       f"{mask_text(str(outcome.error))[:300]} (the migration is not affected)")
            log.warning("%s", message)
            if first:
                try:
                    self._say(f"warning: {message}")
                except Exception:  # the progress output itself must not fail the migration either
                    log.debug("could not report a failing hook", exc_info=True)


class _Notifying:
    """The :data:`ApplyOne` wrapper: apply, then tell the plugins (thread-safe: it keeps no shared state but
    the run's positions, read-only)."""

    def __init__(self, hooks: RunHooks, run: ApplyRun, apply_one: ApplyOne, dialect: Dialect | None,
                 database: str | None) -> None:
        self._hooks, self._run, self._apply_one = hooks, run, apply_one
        self._dialect, self._database = dialect, database
        self._positions = {id(operation): index for index, operation in enumerate(run.operations, 1)}

    def __call__(self, operation: Operation) -> None:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            self._apply_one(operation)
        except BaseException as exc:
            error = exc
            raise
        finally:
            seconds = time.perf_counter() - started
            self._notify(operation, seconds, error)

    def _notify(self, operation: Operation, seconds: float, error: BaseException | None) -> None:
        try:
            event = OperationApplied(
                index=self._positions.get(id(operation), 0), total=len(self._run.operations), operation=operation,
                description=operation.describe(), statements=self._statements(operation), seconds=seconds,
                outcome="ok" if error is None else "failed",
                error=None if error is None else mask_text(str(error))[:2000])
            self._hooks._fire(APPLIED, run=self._run, event=event)
        except Exception:  # building the event failed: never the migration's problem
            log.warning("could not tell plugins about %s", operation.describe(), exc_info=True)

    def _statements(self, operation: Operation) -> tuple[str, ...]:
        if self._dialect is None or self._database is None or operation.backend != "olap":
            return ()
        try:
            planned = self._dialect.statements(operation, self._database)
        except Exception:  # a dialect that cannot show its SQL, or an operation it cannot render
            return ()
        return tuple(mask_text(statement.sql) for statement in planned)
