"""Plugin discovery and the one typed facade through which the core calls hooks.

Plugins are found through the ``muskox`` entry-point group; the core's own built-in behaviour is registered
the same way (as "built-in" plugins), so ``muskox plugins`` shows everything that is loaded. Operators control
loading with three environment variables:

- ``MUSKOX_LOAD_PLUGINS=a,b``: load only these entry-point plugins (by entry-point or distribution name);
- ``MUSKOX_DISABLE_PLUGINS=a,b``: never load these (built-ins included);
- ``MUSKOX_TRACE_PLUGINS=1``: print every plugin load and hook call to stderr.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from muskox._version import __version__
from muskox.errors import PluginError
from muskox.plugin import hookspecs
from muskox.plugin.entry_points import FoundEntryPoint, installed_entry_points
from muskox.plugin.interfaces import OlapBackend, ResourceBackend, StateStore, StreamBackend

if TYPE_CHECKING:
    import importlib.metadata

    import click

    from muskox.model.operations import Operation

ENTRY_POINT_GROUP = "muskox"
ENV_LOAD = "MUSKOX_LOAD_PLUGINS"
ENV_DISABLE = "MUSKOX_DISABLE_PLUGINS"
ENV_TRACE = "MUSKOX_TRACE_PLUGINS"

#: The core's built-in plugins: (plugin name, module).
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("muskox.commands", "muskox.cli.builtin_commands"),
    ("muskox.operations", "muskox.plugin.builtin_operations"),
    ("muskox.file_state", "muskox.state.plugin"),
)

T = TypeVar("T")


@attrs.frozen
class Kind:
    """One kind of registered thing: the hook that registers it and the type each item must have."""

    key: str
    label: str
    hook: str
    check: Callable[[Any], bool]
    expected: str


def _is_command(item: Any) -> bool:
    import click

    return isinstance(item, click.Command)


def _subclass_of(base: type) -> Callable[[Any], bool]:
    return lambda item: isinstance(item, type) and issubclass(item, base)


def _is_operation(item: Any) -> bool:
    from muskox.model.operations import Operation  # the model is imported only when operations are needed

    return isinstance(item, type) and issubclass(item, Operation)


def _is_config_section(item: Any) -> bool:
    from muskox.config.sections import section_problem

    return section_problem(item) is None


KINDS: tuple[Kind, ...] = (
    Kind("commands", "command", "muskox_register_commands", _is_command, "a click.Command"),
    Kind("operations", "operation", "muskox_register_operations", _is_operation,
         "a subclass of muskox.model.operations.Operation"),
    Kind("olap_backends", "OLAP backend", "muskox_register_olap_backends", _subclass_of(OlapBackend),
         "a subclass of muskox.plugin.interfaces.OlapBackend"),
    Kind("stream_backends", "stream backend", "muskox_register_stream_backends", _subclass_of(StreamBackend),
         "a subclass of muskox.plugin.interfaces.StreamBackend"),
    Kind("state_stores", "state store", "muskox_register_state_stores", _subclass_of(StateStore),
         "a subclass of muskox.plugin.interfaces.StateStore"),
    Kind("config_sections", "config section", "muskox_register_config_sections", _is_config_section,
         "a frozen attrs class whose fields have defaults and types str, int, bool, list or X | None "
         "(see muskox.config.setting)"),
    Kind("resource_backends", "resource backend", "muskox_register_resource_backends",
         _subclass_of(ResourceBackend), "a subclass of muskox.plugin.interfaces.ResourceBackend"),
)
_KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


@attrs.frozen
class PluginSource:
    """Where a loaded plugin came from."""

    name: str
    distribution: str
    version: str
    module: str
    builtin: bool


@attrs.frozen
class PluginInfo:
    """What ``muskox plugins`` reports for one plugin."""

    name: str
    distribution: str
    version: str
    module: str
    builtin: bool
    hooks: tuple[str, ...]
    registers: Mapping[str, tuple[str, ...]]


@attrs.frozen
class Registered:
    """One registered item and the plugin that registered it."""

    name: str
    item: Any
    plugin: str


@attrs.frozen
class HookOutcome:
    """What one plugin's implementation of a behaviour hook returned, or the exception it raised."""

    plugin: str
    result: Any
    error: Exception | None


def _names(value: str | None) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


class Plugins:
    """The loaded plugins and everything they registered; the only place hooks are called from."""

    def __init__(self, manager: pluggy.PluginManager, sources: dict[str, PluginSource],
                 warnings: list[str], trace: bool) -> None:
        self._pm = manager
        self._sources = sources
        self.warnings = warnings
        """One line per plugin that could not be loaded, for the CLI to print."""
        self._trace = trace
        self._registered: dict[str, dict[str, Registered]] = {}

    # -- loading ---------------------------------------------------------------------------------------

    @classmethod
    def load(cls, *, env: Mapping[str, str] | None = None,
             entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> Plugins:
        """Discover and register the built-in and installed plugins, honouring the operator variables."""
        env = os.environ if env is None else env
        allow, deny = _names(env.get(ENV_LOAD)), _names(env.get(ENV_DISABLE))
        trace = env.get(ENV_TRACE, "").strip().lower() in {"1", "true", "yes", "on"}
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        plugins = cls(pm, {}, [], trace)

        for name, module in BUILTIN_PLUGINS:
            if name in deny:
                plugins._log(f"skip built-in plugin {name} (in {ENV_DISABLE})")
                continue
            source = PluginSource(name, "muskox", __version__, module, builtin=True)
            plugins._register(source, functools.partial(importlib.import_module, module))

        found = (installed_entry_points(ENTRY_POINT_GROUP) if entry_points is None
                 else [FoundEntryPoint.from_metadata(ep) for ep in entry_points])
        seen_allowed: set[str] = set()
        for ep in sorted(found, key=lambda e: e.name):
            dist_name, version = ep.distribution, ep.version
            if allow:
                matched = {ep.name, dist_name} & allow
                if not matched:
                    plugins._log(f"skip plugin {ep.name} (not in {ENV_LOAD})")
                    continue
                seen_allowed |= matched
            if {ep.name, dist_name} & deny:
                plugins._log(f"skip plugin {ep.name} (in {ENV_DISABLE})")
                continue
            source = PluginSource(ep.name, dist_name, version, ep.value, builtin=False)
            plugins._register(source, ep.load)
        for missing in sorted(allow - seen_allowed):
            plugins.warnings.append(
                f"{ENV_LOAD} names '{missing}', but no installed plugin has that name; "
                f"fix: install it or correct {ENV_LOAD}"
            )
        from muskox.plugin.kinds import activate

        activate(plugins.resource_backends)  # the kinds planned from declarations, resolved when planning
        return plugins

    def _register(self, source: PluginSource, load: Callable[[], Any]) -> None:
        if source.name in self._sources:
            other = self._sources[source.name]
            raise PluginError(
                f"two plugins are named '{source.name}': one from {other.distribution} {other.version}, "
                f"one from {source.distribution} {source.version}",
                f"uninstall one of them, or disable one with {ENV_DISABLE}",
            )
        started = time.perf_counter()
        try:
            plugin = load()
            self._pm.register(plugin, name=source.name)
        except Exception as exc:  # a broken plugin must not take the others down
            self.warnings.append(
                f"plugin '{source.name}' ({source.distribution} {source.version}) failed to load and is skipped: "
                f"{type(exc).__name__}: {exc}; fix: reinstall or upgrade {source.distribution}, "
                f"or set {ENV_DISABLE}={source.name}"
            )
            return
        unknown = [caller.name for caller in self._pm.get_hookcallers(plugin) or [] if caller.spec is None]
        if unknown:
            self._pm.unregister(plugin)
            self.warnings.append(
                f"plugin '{source.name}' ({source.distribution} {source.version}) implements unknown hook(s) "
                f"{', '.join(unknown)} and is skipped; fix: upgrade muskox or the plugin, "
                f"or set {ENV_DISABLE}={source.name}"
            )
            return
        self._sources[source.name] = source
        self._log(f"loaded plugin {source.name} from {source.distribution} {source.version} "
                  f"({(time.perf_counter() - started) * 1000:.1f} ms)")

    def _log(self, message: str) -> None:
        if self._trace:
            print(f"muskox-trace: {message}", file=sys.stderr)

    # -- registration hooks ----------------------------------------------------------------------------

    def _collect(self, kind: Kind) -> dict[str, Registered]:
        if kind.key in self._registered:
            return self._registered[kind.key]
        found: dict[str, Registered] = {}
        caller = getattr(self._pm.hook, kind.hook)
        for impl in reversed(caller.get_hookimpls()):  # registration order
            plugin_name = impl.plugin_name
            added: list[str] = []

            def register(name: str, item: Any, *, _plugin: str = plugin_name, _added: list[str] = added) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginError(
                        f"plugin '{_plugin}' registered a {kind.label} with an empty or non-string name",
                        f"report this to the author of {self._describe_plugin(_plugin)}",
                    )
                if not kind.check(item):
                    raise PluginError(
                        f"plugin '{_plugin}' registered {kind.label} '{name}' as {item!r}, "
                        f"which is not {kind.expected}",
                        f"report this to the author of {self._describe_plugin(_plugin)}",
                    )
                if name in found:
                    first = found[name].plugin
                    raise PluginError(
                        f"{kind.label} '{name}' is registered twice: by plugin '{first}' "
                        f"({self._describe_plugin(first)}) and by plugin '{_plugin}' "
                        f"({self._describe_plugin(_plugin)})",
                        f"uninstall one of them, or disable one with {ENV_DISABLE}",
                    )
                found[name] = Registered(name, item, _plugin)
                _added.append(name)

            started = time.perf_counter()
            impl.function(**dict.fromkeys(impl.argnames, register))
            self._log(f"{kind.hook} -> {plugin_name}: {', '.join(added) or 'nothing'} "
                      f"({(time.perf_counter() - started) * 1000:.1f} ms)")
        self._registered[kind.key] = found
        return found

    def _describe_plugin(self, name: str) -> str:
        source = self._sources.get(name)
        return f"{source.distribution} {source.version}" if source else name

    def _items(self, key: str) -> dict[str, Any]:
        return {name: reg.item for name, reg in self._collect(_KINDS_BY_KEY[key]).items()}

    def commands(self) -> dict[str, click.Command]:
        """Every CLI command registered through ``muskox_register_commands``."""
        return self._items("commands")

    def operations(self) -> dict[str, type[Operation]]:
        """Every operation type of the plan vocabulary, by its plan-file name."""
        return self._items("operations")

    def olap_backends(self) -> dict[str, type[OlapBackend]]:
        """Every OLAP backend class, by name."""
        return self._items("olap_backends")

    def stream_backends(self) -> dict[str, type[StreamBackend]]:
        """Every stream backend class, by name."""
        return self._items("stream_backends")

    def state_stores(self) -> dict[str, type[StateStore]]:
        """Every state store class, by name."""
        return self._items("state_stores")

    def olap_backend(self, name: str) -> type[OlapBackend]:
        """The OLAP backend called ``name``; an error lists the available ones."""
        backend: type[OlapBackend] = self._pick("olap_backends", name, "muskox-clickhouse")
        return backend

    def stream_backend(self, name: str) -> type[StreamBackend]:
        """The stream backend called ``name``; an error lists the available ones."""
        backend: type[StreamBackend] = self._pick("stream_backends", name, "muskox-redpanda")
        return backend

    def state_store(self, name: str) -> type[StateStore]:
        """The state store called ``name`` (``[state_config] storage``); an error lists the available ones."""
        store: type[StateStore] = self._pick("state_stores", name, f"muskox-state-{name}")
        return store

    def resource_backends(self) -> dict[str, type[ResourceBackend]]:
        """Every resource backend class (plugins' extra kinds of objects), by name."""
        return self._items("resource_backends")

    def resource_backend(self, name: str) -> type[ResourceBackend]:
        """The resource backend called ``name`` (an operation's ``backend``); an error lists the available ones."""
        backend: type[ResourceBackend] = self._pick("resource_backends", name,
                                                    f"the plugin that provides the '{name}' operations")
        return backend

    def config_sections(self) -> dict[str, type[Any]]:
        """The config sections plugins declare, by name (built-in names only with their built-in class)."""
        from muskox.config.model import SECTIONS

        found = self._collect(_KINDS_BY_KEY["config_sections"])
        for name, reg in found.items():
            if name in SECTIONS and reg.item is not SECTIONS[name]:
                raise PluginError(
                    f"plugin '{reg.plugin}' ({self._describe_plugin(reg.plugin)}) declares config section "
                    f"[{name}], which is built into muskox with other keys",
                    f"rename the plugin's section, or disable the plugin with {ENV_DISABLE}={reg.plugin}",
                )
        return {name: reg.item for name, reg in found.items()}

    # -- behaviour hooks -------------------------------------------------------------------------------

    def call_each(self, hook: str, **kwargs: Any) -> list[HookOutcome]:
        """Call every implementation of the behaviour hook ``hook`` on its own (in registration order), so
        one that raises neither stops the others nor the caller: its exception is in its outcome."""
        outcomes: list[HookOutcome] = []
        for impl in reversed(getattr(self._pm.hook, hook).get_hookimpls()):
            started = time.perf_counter()
            try:
                result = impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception as exc:
                outcomes.append(HookOutcome(impl.plugin_name, None, exc))
            else:
                outcomes.append(HookOutcome(impl.plugin_name, result, None))
            self._log(f"{hook} -> {impl.plugin_name} ({(time.perf_counter() - started) * 1000:.1f} ms)")
        return outcomes

    def implements(self, hook: str) -> bool:
        """True when a loaded plugin implements ``hook``."""
        return bool(getattr(self._pm.hook, hook).get_hookimpls())

    def _pick(self, key: str, name: str, suggestion: str) -> Any:
        items = self._items(key)
        if name in items:
            return items[name]
        kind = _KINDS_BY_KEY[key]
        available = ", ".join(sorted(items)) or "none"
        raise PluginError(
            f"no {kind.label} named '{name}' is installed (available: {available})",
            f"pip install {suggestion}, or choose one of the available names",
        )

    # -- reporting -------------------------------------------------------------------------------------

    def describe(self) -> list[PluginInfo]:
        """Every loaded plugin with its distribution, version, hooks and registrations."""
        for kind in KINDS:
            self._collect(kind)
        infos = []
        for name, source in self._sources.items():
            plugin = self._pm.get_plugin(name)
            hooks = tuple(sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or []))
            registers = {
                kind.key: tuple(sorted(r.name for r in self._registered[kind.key].values() if r.plugin == name))
                for kind in KINDS
            }
            infos.append(PluginInfo(name, source.distribution, source.version, source.module, source.builtin,
                                    hooks, {k: v for k, v in registers.items() if v}))
        return sorted(infos, key=lambda info: (not info.builtin, info.name))
