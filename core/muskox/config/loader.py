"""Loading the effective configuration: defaults < file < tenant < environment < command-line flags.

Every value is type-checked against its field in :mod:`muskox.config.model`; a bad value or unknown key is a
:class:`~muskox.errors.ConfigError` naming where it came from, the key and the expected type.
"""

from __future__ import annotations

import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from muskox.config.model import MOOSE_ONLY_KEYS, SECTION_ALIASES, SECTIONS, TOP_LEVEL_KEYS, Config
from muskox.errors import ConfigError
from muskox.masking import MASK

CONFIG_FILE = "muskox.toml"
MOOSE_CONFIG_FILE = "moose.config.toml"
ENV_PREFIX = "MUSKOX_"
MOOSE_ENV_PREFIX = "MOOSE_"
TENANTS_KEY = "tenants"


@attrs.frozen
class Override:
    """One value set from outside the file: an environment variable or a command-line flag."""

    section: str
    key: str
    value: Any
    origin: str
    from_text: bool = False
    """True when ``value`` is a string to parse (environment variables)."""


def find_config_file(project_dir: Path, explicit: Path | None = None) -> Path | None:
    """The file to read: ``explicit`` if given, else ``muskox.toml``, else ``moose.config.toml``, else none."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(
                f"config file {explicit} does not exist", "pass an existing file to --config, or omit --config"
            )
        return explicit
    for name in (CONFIG_FILE, MOOSE_CONFIG_FILE):
        candidate = project_dir / name
        if candidate.is_file():
            return candidate
    return None


def load_config(
    project_dir: Path,
    *,
    config_file: Path | None = None,
    tenant: str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Sequence[Override] = (),
    sections: Mapping[str, type[Any]] | None = None,
) -> Config:
    """Build the effective :class:`Config` for a project.

    ``sections`` are the config sections plugins declare (:meth:`muskox.plugin.manager.Plugins.config_sections`),
    read exactly like the built-in ones; a name that is already a built-in section is the built-in one."""
    env = os.environ if env is None else env
    path = find_config_file(project_dir, config_file)
    known = {**SECTIONS, **{name: cls for name, cls in (sections or {}).items() if name not in SECTIONS}}
    layers: dict[str, dict[str, tuple[Any, str, bool]]] = {name: {} for name in known}
    origins: dict[str, str] = {}

    if path is not None:
        document = _read_toml(path)
        lenient = path.name == MOOSE_CONFIG_FILE
        tenants = _validate_document(document, path.name, lenient, known)
        _merge(layers, _sections_of(document, path.name, lenient, known), path.name)
        if tenant is not None:
            if tenant not in tenants:
                defined = ", ".join(sorted(tenants)) or "none"
                raise ConfigError(
                    f"tenant {tenant!r} is not defined in {path.name} (defined: {defined})",
                    f"add a [tenants.{tenant}] table to {path.name} or pass another --tenant",
                )
            _merge(layers, tenants[tenant], f"{path.name} [tenants.{tenant}]")
    elif tenant is not None:
        raise ConfigError(
            f"tenant {tenant!r} given but no {CONFIG_FILE} or {MOOSE_CONFIG_FILE} in {project_dir}",
            f"define [tenants.{tenant}] in {CONFIG_FILE}",
        )

    for override in [*_env_overrides(env, known), *overrides]:
        layers[override.section][override.key] = (override.value, override.origin, override.from_text)

    built: dict[str, Any] = {}
    for section, cls in known.items():
        kwargs: dict[str, Any] = {}
        fields = {f.name: f for f in attrs.fields(attrs.resolve_types(cls))}
        for key, (raw, origin, from_text) in layers[section].items():
            field = fields[key]
            kwargs[key] = _coerce(raw, field.type, section, key, origin, from_text, _is_secret(field))
            origins[f"{section}.{key}"] = origin
        try:
            built[section] = cls(**kwargs)
        except ValueError as exc:
            named = str(exc).split(" ", 1)[0]  # validators start their message with the key
            bad = named if named in kwargs else next(iter(kwargs), "?")
            raise ConfigError(
                f"{origins.get(f'{section}.{bad}', section)}: [{section}] {exc}", f"correct [{section}] {bad}"
            ) from None
    plugin_sections = {name: built.pop(name) for name in list(built) if name not in SECTIONS}
    return Config(**built, plugin_sections=plugin_sections, source=str(path) if path else None, tenant=tenant,
                  origins=origins)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}", f"fix the syntax of {path}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: not UTF-8 (byte {exc.start})", f"save {path} as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}", "check the file's permissions") from None


def _section_name(name: str) -> str:
    return SECTION_ALIASES.get(name, name)


def _sections_of(document: Mapping[str, Any], where: str, lenient: bool,
                 known: Mapping[str, type[Any]]) -> dict[str, dict[str, Any]]:
    """The known sections of a document, aliases resolved; unknown ones are an error unless ``lenient``."""
    sections: dict[str, dict[str, Any]] = {}
    for raw_name, body in document.items():
        if raw_name == TENANTS_KEY:
            continue
        if raw_name in TOP_LEVEL_KEYS and not isinstance(body, dict):
            sections.setdefault(TOP_LEVEL_KEYS[raw_name], {})[raw_name] = body
            continue
        name = _section_name(raw_name)
        if name not in known:
            if lenient:
                continue  # a Moose section muskox has no use for (telemetry, jwt, typescript_config, ...)
            raise ConfigError(
                f"{where}: unknown section [{raw_name}]",
                f"use one of: {', '.join(known)}, {TENANTS_KEY} (a plugin's section needs that plugin installed)",
            )
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: {raw_name} must be a table ([{raw_name}])", f"write it as [{raw_name}]")
        keys = {f.name for f in attrs.fields(known[name])}
        kept: dict[str, Any] = {}
        for key, value in body.items():
            if key in keys:
                kept[key] = value
            elif lenient and key in MOOSE_ONLY_KEYS.get(name, frozenset()):
                continue
            else:
                raise ConfigError(
                    f"{where}: unknown key '{key}' in [{raw_name}]", f"valid keys: {', '.join(sorted(keys))}"
                )
        sections.setdefault(name, {}).update(kept)
    return sections


def _validate_document(document: Mapping[str, Any], where: str, lenient: bool,
                       known: Mapping[str, type[Any]]) -> dict[str, dict[str, Any]]:
    """Check the tenants table and return ``{tenant: {section: {key: value}}}``."""
    tenants_raw = document.get(TENANTS_KEY, {})
    if not isinstance(tenants_raw, dict):
        raise ConfigError(f"{where}: '{TENANTS_KEY}' must be a table", "write tenants as [tenants.NAME.section]")
    tenants: dict[str, dict[str, Any]] = {}
    for name, body in tenants_raw.items():
        if not isinstance(body, dict):
            raise ConfigError(
                f"{where}: [tenants.{name}] must be a table of sections",
                f"write it as [tenants.{name}.clickhouse_config] and so on",
            )
        if TENANTS_KEY in body:
            raise ConfigError(f"{where}: [tenants.{name}] cannot nest tenants", "remove the nested table")
        tenants[name] = _sections_of(body, f"{where} [tenants.{name}]", lenient=False, known=known)
    return tenants


def _merge(
    layers: dict[str, dict[str, tuple[Any, str, bool]]], sections: Mapping[str, Mapping[str, Any]], origin: str
) -> None:
    for section, values in sections.items():
        for key, value in values.items():
            layers[section][key] = (value, origin, False)


def _env_overrides(env: Mapping[str, str], sections: Mapping[str, type[Any]]) -> list[Override]:
    """``MOOSE_<SECTION>__<KEY>`` first (Moose compatibility), then ``MUSKOX_<SECTION>__<KEY>`` over it."""
    found: list[Override] = []
    for prefix in (MOOSE_ENV_PREFIX, ENV_PREFIX):
        for var in sorted(env):
            if not var.startswith(prefix) or "__" not in var:
                continue
            section_part, _, key_part = var[len(prefix):].partition("__")
            section = _section_name(section_part.lower())
            key = key_part.lower()
            cls = sections.get(section)
            known = {f.name for f in attrs.fields(cls)} if cls else set()
            if key not in known:
                if prefix == MOOSE_ENV_PREFIX:
                    continue  # Moose has variables muskox does not read; only MUSKOX_* must be exact
                if cls is None:
                    raise ConfigError(
                        f"environment variable {var}: unknown section '{section_part.lower()}'",
                        f"use MUSKOX_<SECTION>__<KEY> with a section among {', '.join(sections)}",
                    )
                raise ConfigError(
                    f"environment variable {var}: unknown key '{key}' in [{section}]",
                    f"valid keys: {', '.join(sorted(known))}",
                )
            found.append(Override(section, key, env[var], f"environment variable {var}", from_text=True))
    return found


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _describe(inner[0]) if len(inner) == 1 else " or ".join(_describe(a) for a in inner)
    if origin is list:
        inner_desc = "tables" if attrs.has(args[0]) else _describe(args[0]).replace("a ", "", 1) + "s"
        return f"a list of {inner_desc}"
    if tp is bool:
        return "a boolean (true or false)"
    if tp is int:
        return "an integer"
    if tp is str:
        return "a string"
    return getattr(tp, "__name__", str(tp))


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(value: Any, tp: Any, section: str, key: str, origin: str, from_text: bool, secret: bool) -> Any:
    """Check (and, for environment text, parse) one value against its field type."""

    def bad() -> ConfigError:
        shown = MASK if secret else repr(value)
        return ConfigError(
            f"{origin}: {section}.{key} must be {_describe(tp)}, got {shown}",
            f"set {section}.{key} to {_describe(tp)}",
        )

    origin_type, args = typing.get_origin(tp), typing.get_args(tp)
    if origin_type in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        if value is None or (from_text and value == ""):
            return None
        return _coerce(value, inner[0], section, key, origin, from_text, secret)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if from_text and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad()
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if from_text and isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise bad() from None
        raise bad()
    if tp is str:
        if isinstance(value, str):
            return value
        raise bad()
    if origin_type is list:
        (item_type,) = args
        if from_text and isinstance(value, str):
            value = _parse_list_text(value, bad)
        if not isinstance(value, list):
            raise bad()
        if attrs.has(item_type):
            return [_build_table(item, item_type, f"{section}.{key}", origin, bad) for item in value]
        return [_coerce(item, item_type, section, key, origin, False, secret) for item in value]
    raise bad()


def _parse_list_text(text: str, bad: typing.Callable[[], ConfigError]) -> Any:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            raise bad() from None
    return [part.strip() for part in stripped.split(",") if part.strip()]


def _build_table(item: Any, cls: type[Any], where: str, origin: str, bad: typing.Callable[[], ConfigError]) -> Any:
    if not isinstance(item, dict):
        raise bad()
    fields = {f.name: f for f in attrs.fields(attrs.resolve_types(cls))}
    unknown = sorted(set(item) - set(fields))
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key '{unknown[0]}' in {where} entry", f"valid keys: {', '.join(sorted(fields))}"
        )
    values = {k: _coerce(v, fields[k].type, where, k, origin, False, _is_secret(fields[k])) for k, v in item.items()}
    try:
        return cls(**values)
    except ValueError as exc:  # a field's validator; its message starts with the key
        raise ConfigError(f"{origin}: {where} entry: {exc}", f"correct {where} {str(exc).split(' ', 1)[0]}") from None


def _is_secret(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata.get("secret", False))
