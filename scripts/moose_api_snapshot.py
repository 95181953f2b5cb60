#!/usr/bin/env python3
"""Print the public API of an installed ``moose_lib`` as JSON: the reference muskox's compatible API is tested against.

Run it with an interpreter that has moose-lib installed (moose-lib needs Python 3.12 or later)::

    python3.12 -m venv /tmp/moose && /tmp/moose/bin/pip install moose-lib==0.6.533
    /tmp/moose/bin/python scripts/moose_api_snapshot.py > tests/fixtures/moose_lib_0_6_533_api.json

For every importable module of the package (the Moose CLI's own runner modules excepted) the output lists each
public name (no leading underscore, not a module) with what it is and where it is defined; for every class and
function moose-lib defines, the parameters of calling it (kind and default) and, for classes, the public members
moose-lib's own classes define. The functions below are also imported by ``tests/core/test_moose_compat_api.py``
to describe muskox's side the same way, so both sides are encoded by one piece of code.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import pkgutil
import sys
import types
import typing
from typing import Any

PACKAGE = "moose_lib"

#: Modules of the package that are the Moose CLI's machinery, not a library users import (each either parses the
#: CLI's command line, imports the user's ``app`` package, or serializes the registries for the CLI).
CLI_MODULES = {
    "moose_lib.dmv2_serializer": "imports the project's app.main and prints the registries for the Moose CLI",
    "moose_lib.internal": "serializes the registries into the Moose CLI's partial infrastructure map",
    "moose_lib.streaming": "the Moose CLI's streaming-function runner",
    "moose_lib.streaming.streaming_function_runner": "the Moose CLI's streaming-function runner (parses argv)",
}


def kind_of(value: Any) -> str:
    """What a public name is: class, enum, function, type_alias, typevar, generic_alias or value."""
    if isinstance(value, typing.TypeVar):
        return "typevar"
    if type(value).__name__ == "TypeAliasType":
        return "type_alias"
    if isinstance(value, type):
        return "enum" if issubclass(value, enum.Enum) else "class"
    if isinstance(value, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        return "function"
    if typing.get_origin(value) is not None:
        return "generic_alias"
    return "value"


def origin_of(value: Any) -> str | None:
    """The module that defines ``value`` (for plain values: the module of their type), if known."""
    module = getattr(value, "__module__", None)
    if isinstance(value, type | types.FunctionType) or type(value).__name__ in ("TypeAliasType", "TypeVar"):
        return module if isinstance(module, str) else None
    if typing.get_origin(value) is not None:
        return None
    module = getattr(type(value), "__module__", None)
    return None if module in ("builtins", None) else str(module)


def encode_default(value: Any) -> Any:
    """A parameter default as JSON: plain data as itself, anything else by what it is."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return {"list": [encode_default(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): encode_default(v) for k, v in value.items()}}
    if isinstance(value, enum.Enum):
        return {"enum": f"{type(value).__name__}.{value.name}"}
    if isinstance(value, type):
        return {"class": value.__name__}
    if callable(value):
        return {"callable": getattr(value, "__name__", type(value).__name__)}
    return {"instance": type(value).__name__}


def parameters(target: Any) -> list[dict[str, Any]] | None:
    """The parameters of calling ``target`` (name, kind, default when it has one), or None without a signature."""
    fields = _pydantic_fields(target)
    if fields is not None:
        return fields
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    result = []
    for parameter in signature.parameters.values():
        entry: dict[str, Any] = {"name": parameter.name, "kind": parameter.kind.name}
        if parameter.default is not inspect.Parameter.empty:
            entry["default"] = encode_default(_dataclass_default(target, parameter))
        result.append(entry)
    return result


def _pydantic_fields(target: Any) -> list[dict[str, Any]] | None:
    """A pydantic model's fields as keyword-only parameters (its generated signature is only ``**data`` while a
    forward reference is unresolved), or None for anything else."""
    fields = getattr(target, "model_fields", None) if isinstance(target, type) else None
    if not isinstance(fields, dict) or not hasattr(target, "model_validate"):
        return None
    result = []
    for name, info in fields.items():
        entry: dict[str, Any] = {"name": name, "kind": "KEYWORD_ONLY"}
        if not info.is_required():
            entry["default"] = encode_default(info.get_default(call_default_factory=True))
        result.append(entry)
    return result


def _dataclass_default(target: Any, parameter: inspect.Parameter) -> Any:
    """A dataclass or attrs field with a default factory shows a placeholder: report the value it makes."""
    if isinstance(target, type) and dataclasses.is_dataclass(target):
        for field in dataclasses.fields(target):
            if field.name == parameter.name and field.default_factory is not dataclasses.MISSING:
                return field.default_factory()
    fields = getattr(target, "__attrs_attrs__", None) if isinstance(target, type) else None
    for field in fields or ():
        factory = getattr(field.default, "factory", None)
        if field.alias == parameter.name and callable(factory):
            return factory()
    return parameter.default


def members(cls: type, owner_prefix: str) -> list[str]:
    """The public attributes the classes of ``cls``'s MRO whose module starts with ``owner_prefix`` define."""
    names: set[str] = set()
    for base in cls.__mro__:
        if str(getattr(base, "__module__", "")).startswith(owner_prefix):
            names.update(n for n in vars(base) if not n.startswith("_"))
    return sorted(names)


def describe_module(module: types.ModuleType, owner_prefix: str) -> dict[str, Any]:
    """Every public name of ``module`` (see the module documentation)."""
    names: dict[str, Any] = {}
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            continue
        entry: dict[str, Any] = {"kind": kind_of(value), "origin": origin_of(value)}
        names[name] = entry
    described: dict[str, Any] = {"names": names}
    if isinstance(getattr(module, "__all__", None), list | tuple):
        described["all"] = sorted(module.__all__)
    return described


def describe_callables(modules: dict[str, types.ModuleType], owner_prefix: str) -> dict[str, Any]:
    """``{"module.Name": {...}}`` for every class and function defined in the package (and nested classes)."""
    found: dict[str, Any] = {}
    for module in modules.values():
        for name, value in vars(module).items():
            if name.startswith("_") or not isinstance(value, type | types.FunctionType):
                continue
            home = getattr(value, "__module__", "")
            if home != module.__name__:
                continue
            _describe_callable(found, f"{home}.{value.__qualname__}", value, owner_prefix)
    return dict(sorted(found.items()))


def _describe_callable(found: dict[str, Any], key: str, value: Any, owner_prefix: str) -> None:
    entry: dict[str, Any] = {"kind": kind_of(value), "parameters": parameters(value)}
    if isinstance(value, type):
        entry["members"] = members(value, owner_prefix)
        for name, inner in vars(value).items():
            if not name.startswith("_") and isinstance(inner, type) \
                    and str(getattr(inner, "__module__", "")).startswith(owner_prefix):
                _describe_callable(found, f"{key}.{name}", inner, owner_prefix)
    found[key] = entry


def snapshot(package: str = PACKAGE) -> dict[str, Any]:
    """The whole description of the installed ``package``."""
    root = importlib.import_module(package)
    modules: dict[str, types.ModuleType] = {package: root}
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if info.name in CLI_MODULES or any(part.startswith("_") for part in info.name.split(".")):
            continue
        modules[info.name] = importlib.import_module(info.name)
    from importlib import metadata

    return {
        "package": package,
        "version": metadata.version(package.replace("_", "-")),
        "python": ".".join(map(str, sys.version_info[:3])),
        "excluded_modules": CLI_MODULES,
        "modules": {name: describe_module(module, package) for name, module in sorted(modules.items())},
        "callables": describe_callables(modules, package),
    }


def main() -> None:
    """Print the snapshot of the installed moose-lib."""
    json.dump(snapshot(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
