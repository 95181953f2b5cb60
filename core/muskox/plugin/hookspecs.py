"""The plugin surface of muskox: every hook a plugin may implement, grouped by pipeline phase.

A plugin is a module (or object) listed under the ``muskox`` entry-point group whose functions are marked
with :data:`muskox.hookimpl`. Registration hooks receive a ``register`` callback; call it once per thing the
plugin provides. Names are global: registering a name that another plugin already registered is an error
naming both plugins. Core code calls hooks only through :class:`muskox.plugin.manager.Plugins`.

The reference for plugin authors, with each exact signature, is ``docs/plugins.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Sequence

    import click

    from muskox.apply.lifecycle import ApplyFinished, ApplyRun, OperationApplied
    from muskox.model.operations import Operation
    from muskox.plan.checks import CheckFinding, PlanCheck
    from muskox.plugin.interfaces import OlapBackend, ResourceBackend, StateStore, StreamBackend

PROJECT_NAME = "muskox"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: ``register(name, item)``: the callback every registration hook receives.
Register = Callable[[str, Any], None]


# -- Phase 0: the command line ------------------------------------------------------------------------


@hookspec
def muskox_register_commands(register: Callable[[str, click.Command], None]) -> None:
    """Add sub-commands to the ``muskox`` command line.

    Fires once per process, when the CLI is built (also for ``muskox --help``), so implementations must be
    cheap: import drivers inside the command's callback, not at module level.

    :param register: call ``register(name, command)`` with a :class:`click.Command` for each command.
    """


@hookspec
def muskox_register_config_sections(register: Callable[[str, type[Any]], None]) -> None:
    """Declare the plugin's sections of ``muskox.toml`` (``[postgres_state_config]``).

    Fires once per process, the first time the configuration is loaded (before any command reads it). A
    section is a frozen, keyword-only attrs class whose fields all have defaults (build them with
    :func:`muskox.config.setting`: default, one-line doc, ``secret=True`` for values ``config show`` masks); its
    fields are ``str``, ``int``, ``bool``, ``list[...]`` of those, or ``X | None``. It is then read from the file,
    from ``[tenants.NAME.<section>]`` and from ``MUSKOX_<SECTION>__<KEY>`` like a built-in section, with the same
    errors for unknown or mistyped keys; code reads it with ``config.section(name, cls)``.

    :param register: call ``register(section_name, section_class)`` once per section. Registering a built-in
        section's name with its own class (``redis_config`` with :class:`muskox.config.RedisConfig`) marks the
        plugin as its owner; any other class under a built-in name is an error.
    """


# -- Phase 1: the plan vocabulary -------------------------------------------------------------------


@hookspec
def muskox_register_operations(register: Callable[[str, type[Operation]], None]) -> None:
    """Add operation types to the plan vocabulary (topics, dictionaries, …).

    Fires the first time the core reads or writes a plan. The name is the operation's key in plan files.

    :param register: call ``register(name, operation_class)`` with a frozen attrs subclass of
        :class:`muskox.model.operations.Operation` (its fields must be JSON-representable through
        the converter of :class:`muskox.model.codec.ModelCodec`).
    """


# -- Phase 2: backends (introspection and DDL emission) ----------------------------------------------


@hookspec
def muskox_register_olap_backends(register: Callable[[str, type[OlapBackend]], None]) -> None:
    """Provide OLAP backends: databases holding tables, views and materialized views.

    Fires the first time the core needs the list of OLAP backends (to connect, or for ``muskox plugins``).

    :param register: call ``register(name, backend_class)`` with a subclass of
        :class:`muskox.plugin.interfaces.OlapBackend`; ``name`` is what configuration refers to (``"clickhouse"``).
    """


@hookspec
def muskox_register_stream_backends(register: Callable[[str, type[StreamBackend]], None]) -> None:
    """Provide stream backends: brokers holding topics (Kafka, Redpanda).

    Fires the first time the core needs the list of stream backends.

    :param register: call ``register(name, backend_class)`` with a subclass of
        :class:`muskox.plugin.interfaces.StreamBackend`.
    """


# -- Phase 3: state storage and locking --------------------------------------------------------------


@hookspec
def muskox_register_state_stores(register: Callable[[str, type[StateStore]], None]) -> None:
    """Provide state stores: places that keep the last applied state and the migration lock.

    Fires the first time the core needs the list of state stores. ``[state_config] storage`` names the
    store to use (built in: ``file``; from the plugins shipped with muskox: ``clickhouse`` and ``redis``).

    :param register: call ``register(name, store_class)`` with a subclass of
        :class:`muskox.plugin.interfaces.StateStore`.
    """


@hookspec
def muskox_register_resource_backends(register: Callable[[str, type[ResourceBackend]], None]) -> None:
    """Provide backends for extra kinds of objects with their own operations (the way topics have theirs).

    Fires the first time ``migrate`` applies an operation whose ``backend`` class attribute is neither
    ``"olap"`` nor ``"stream"``: the operation goes to the resource backend registered under that name, built
    once per run with ``from_config(config)`` and closed afterwards. Register the operation types themselves with
    :func:`muskox_register_operations`.

    A backend that also overrides ``declared`` (with ``plan``, ``fold`` and ``introspect``) is a kind planned
    from declarations: whenever the project is collected, its objects join the target's ``extensions`` (kind →
    name → JSON specification); introspection reports the current ones, the planner appends the backend's own
    operations, and plan files, the state and drift checks carry them (:mod:`muskox.plugin.kinds`).

    :param register: call ``register(name, backend_class)`` with a subclass of
        :class:`muskox.plugin.interfaces.ResourceBackend`; ``name`` is the operations' ``backend``.
    """


# -- Behaviour hooks: checking plans ------------------------------------------------------------------


@hookspec
def muskox_check_plan(plan: PlanCheck) -> Sequence[CheckFinding] | None:
    """Inspect a plan and return findings (an empty list or None: nothing to say).

    Fires once per plan, after it is made and before anything is written or applied: in ``plan`` (findings
    listed, and under ``findings`` in ``--json``; nothing is blocked), ``generate migration`` (before the plan
    files are written), ``migrate`` (snapshot mode: once the plan is known to run, before its first operation;
    delta mode: before each unapplied file runs), ``prod``'s boot migration and each ``dev`` cycle. A finding
    with severity ``error`` stops the command with exit 10, naming the plugin and the finding, unless approved
    with ``--yes-findings`` (or ``--yes-all``, or ``MUSKOX_ACCEPT_FINDINGS=1``); a ``warning`` is printed.
    A check that raises counts as an ``error`` finding ``check_failed`` of that plugin.

    :param plan: :class:`muskox.plan.checks.PlanCheck`: the operations, the target state, the current state
        (when known), the tenant, the command and the dialect.
    :returns: :class:`muskox.plan.checks.CheckFinding` values, each with a stable ``code``.
    """


# -- Behaviour hooks: the apply lifecycle (audit logs, notifications) ---------------------------------


@hookspec
def muskox_apply_started(run: ApplyRun) -> None:
    """A run is about to apply operations.

    Fires in ``migrate`` and ``prod``'s boot migration, once the lock is held and every check passed, right
    before the first operation (snapshot mode: once per run; delta mode: once per migration file). Runs that
    apply nothing (already applied, nothing to do) fire no lifecycle hooks. An exception is reported as a
    warning and changes nothing.

    :param run: :class:`muskox.apply.lifecycle.ApplyRun`: command, mode, tenant, plan or file id, operations.
    """


@hookspec
def muskox_operation_applied(run: ApplyRun, event: OperationApplied) -> None:
    """One operation ended, well or not.

    Fires after each operation, from the executor's worker thread (operations on different tables run in
    parallel: implementations must be thread-safe), before the next one on the same object starts. An exception
    is reported as a warning and changes nothing.

    :param event: :class:`muskox.apply.lifecycle.OperationApplied`: position, operation, description, the
        statements the backend sent (credentials masked; empty when the backend cannot show them), seconds,
        outcome (``ok`` or ``failed``) and the error.
    """


@hookspec
def muskox_apply_finished(run: ApplyRun, result: ApplyFinished) -> None:
    """A run that fired :func:`muskox_apply_started` ended, whatever the outcome.

    Fires after the last operation ended and the outcome is recorded (also when the run failed or was
    interrupted). An exception is reported as a warning and changes nothing: the migration's outcome stands.

    :param result: :class:`muskox.apply.lifecycle.ApplyFinished`: outcome (``applied``, ``failed``,
        ``interrupted``), the executor's report and the error message.
    """
