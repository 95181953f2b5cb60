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
    import click

    from muskox.model.operations import Operation
    from muskox.plugin.interfaces import OlapBackend, StateStore, StreamBackend

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
