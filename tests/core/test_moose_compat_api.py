"""muskox's compatible API against moose-lib 0.6.533's (``tests/fixtures/moose_lib_0_6_533_api.json``, written by
``scripts/moose_api_snapshot.py`` from the installed library).

Each public name of every module a project imports must exist under ``moose_lib.<module>`` while muskox collects
(the declarative modules completely); every class and function moose-lib defines must accept every call
moose-lib accepts — same parameter names, positions, and defaults — and have its public members. The deliberate
differences are the entries of ``DIFFERENCES``, each with its reason (the README lists them too).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from muskox.declare.moose_compat import MooseNameMissing, moose_lib_aliased

ROOT = Path(__file__).parents[2]
REFERENCE = json.loads((ROOT / "tests" / "fixtures" / "moose_lib_0_6_533_api.json").read_text())


def _snapshot_script() -> ModuleType:
    """The script that wrote the fixture: muskox's side is described by the same functions."""
    spec = importlib.util.spec_from_file_location("moose_api_snapshot", ROOT / "scripts" / "moose_api_snapshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SNAPSHOT = _snapshot_script()

#: The modules of declarations: every name must be there.
DECLARATIVE = ("moose_lib", "moose_lib.dmv2", "moose_lib.blocks", "moose_lib.data_models")

DIFFERENCES: dict[str, str] = {
    # modules
    "moose_lib.query_param": "the Moose runtime's parser of API query strings; API handlers run in the "
                             "application, never while muskox collects",
    # what a class has that is pydantic's machinery, not Moose's API
    "member:model_config": "pydantic's configuration attribute: muskox's config classes are attrs classes",
    "member:model_post_init": "pydantic's validation hook: muskox validates in the constructor",
    "member:handle_legacy_ingest_param": "pydantic validator of the deprecated ingest=; muskox's constructor "
                                         "maps it to ingest_api",
    # signatures
    "moose_lib.dmv2.moose_model.MooseModelMeta": "a metaclass: called by class statements, never by projects",
    "moose_lib.commons.EnhancedJSONEncoder": "json.JSONEncoder's own constructor",
    "moose_lib.main.CustomEncoder": "json.JSONEncoder's own constructor",
    "name:TypeAliasType": "typing.TypeAliasType exists from Python 3.12 on; muskox also runs on 3.11",
    "moose_lib.config.config_file.find_config_file": "moose-lib's default is the working directory when it was "
                                                      "imported (/tmp where the fixture was made); muskox's is '.'",
}

#: Names moose-lib's top level only re-exports from packages muskox does not install (they resolve when the
#: package is installed, as in a Moose project's environment).
RUNTIME_PACKAGES = ("kafka", "temporalio", "humanfriendly")


def _is_moose_defined(entry: dict[str, Any]) -> bool:
    return str(entry.get("origin") or "").startswith("moose_lib")


def _modules() -> list[str]:
    return [m for m in REFERENCE["modules"] if m not in DIFFERENCES]


def _compat(module: str) -> ModuleType:
    with moose_lib_aliased():
        return importlib.import_module(module)


@pytest.mark.parametrize("module", _modules())
def test_every_moose_defined_name_exists(module: str) -> None:
    compat = _compat(module)
    names = REFERENCE["modules"][module]["names"]
    missing = [name for name, entry in names.items() if _is_moose_defined(entry) and not _resolves(compat, name)]
    assert missing == []


@pytest.mark.parametrize("module", DECLARATIVE)
def test_declarative_modules_have_every_name(module: str) -> None:
    """Names re-exported from elsewhere resolve to the very same objects (pydantic's BaseModel, typing's …)."""
    compat = _compat(module)
    names = REFERENCE["modules"][module]["names"]
    problems = []
    for name, entry in names.items():
        if _is_moose_defined(entry):
            continue
        if module != "moose_lib":
            continue  # a submodule's own imports (json, Optional, …) are not part of its API
        try:
            getattr(compat, name)
        except MooseNameMissing:
            if not str(entry.get("origin") or "").startswith(RUNTIME_PACKAGES) and f"name:{name}" not in DIFFERENCES:
                problems.append(name)
    assert problems == []


def test_unknown_names_fail_with_the_place_and_a_fix() -> None:
    compat = _compat("moose_lib.dmv2")
    with pytest.raises(MooseNameMissing, match=r"moose_lib\.dmv2\.NoSuchThing is not provided by muskox.*"
                                               r"Fix: use a name moose-lib 0\.6\.533 has"):
        compat.NoSuchThing  # noqa: B018 - the attribute access is the test
    with pytest.raises(AttributeError):
        compat._private  # noqa: B018 - private names stay plain AttributeErrors


def _resolves(module: ModuleType, name: str) -> bool:
    try:
        getattr(module, name)
    except (AttributeError, MooseNameMissing):
        return False
    return True


def _callables() -> list[str]:
    return [key for key in REFERENCE["callables"]
            if key not in DIFFERENCES and not any(key.startswith(d + ".") for d in DIFFERENCES)]


def _find(key: str) -> Any:
    """The compatible object for ``moose_lib.<module>.<qualname>``: the longest module prefix, then attributes."""
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        if module in REFERENCE["modules"]:
            value: Any = _compat(module)
            for attribute in parts[cut:]:
                value = getattr(value, attribute)
            return value
    raise AssertionError(f"no module for {key}")


def incompatibilities(moose: list[dict[str, Any]], ours: list[dict[str, Any]]) -> list[str]:
    """Why some call valid for moose-lib would fail or mean something else in muskox (empty: none).

    A parameter moose-lib takes positionally must be at the same position; every named parameter must exist
    and take a keyword; a default must be the same; a parameter muskox requires must be required by moose-lib
    too. ``**kwargs`` of moose-lib's typed resources only carries the schema class (``t=``), which the
    subscript passes, so variadic parameters are not compared.
    """
    positional_kinds = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
    ours_by_name = {p["name"]: p for p in ours}
    our_positions = [p["name"] for p in ours if p["kind"] in positional_kinds]
    problems = []
    moose_position = 0
    for parameter in moose:
        name, kind = parameter["name"], parameter["kind"]
        if kind in ("VAR_POSITIONAL", "VAR_KEYWORD"):
            continue
        mine = ours_by_name.get(name)
        if mine is None:
            problems.append(f"no parameter {name!r}")
            continue
        if kind in positional_kinds:
            if moose_position >= len(our_positions) or our_positions[moose_position] != name:
                problems.append(f"{name!r} is not positional parameter {moose_position + 1}")
            moose_position += 1
        if kind != "POSITIONAL_ONLY" and mine["kind"] == "POSITIONAL_ONLY":
            problems.append(f"{name!r} takes no keyword")
        if "default" in parameter and mine.get("default", "<required>") != parameter["default"]:
            problems.append(f"{name!r} defaults to {mine.get('default', '<required>')!r}, moose-lib's to "
                            f"{parameter['default']!r}")
    moose_names = {p["name"] for p in moose}
    if any(p["kind"] == "VAR_POSITIONAL" for p in moose):
        return problems  # moose-lib takes anything (a deprecation wrapper's signature)
    for parameter in ours:
        required = "default" not in parameter and parameter["kind"] not in ("VAR_POSITIONAL", "VAR_KEYWORD")
        moose_requires = any(p["name"] == parameter["name"] and "default" not in p for p in moose)
        if required and not moose_requires and parameter["name"] != "t":
            problems.append(f"muskox requires {parameter['name']!r}, moose-lib does not"
                            if parameter["name"] in moose_names else f"muskox requires {parameter['name']!r}")
    return problems


@pytest.mark.parametrize("key", _callables())
def test_signatures_accept_every_moose_call(key: str) -> None:
    reference = REFERENCE["callables"][key]
    ours = SNAPSHOT.parameters(_find(key))
    if reference["parameters"] is None or reference["kind"] == "enum":
        return  # an enum is called with a member's value (its signature differs between Python versions)
    assert ours is not None, f"{key}: no signature"
    assert incompatibilities(reference["parameters"], ours) == []


@pytest.mark.parametrize("key", [k for k in _callables() if REFERENCE["callables"][k].get("members")])
def test_classes_have_moose_members(key: str) -> None:
    cls = _find(key)
    missing = [m for m in REFERENCE["callables"][key]["members"]
               if f"member:{m}" not in DIFFERENCES and not _has_member(cls, m)]
    assert missing == []


def _has_member(cls: Any, name: str) -> bool:
    """A class attribute, or an attribute its instances get (attrs field or annotated)."""
    if hasattr(cls, name):
        return True
    import attrs

    if isinstance(cls, type) and attrs.has(cls) and name in attrs.fields_dict(cls):
        return True
    return any(name in getattr(base, "__annotations__", {}) for base in getattr(cls, "__mro__", ()))


# -- the comparison itself can fail ---------------------------------------------------------------------


def _p(name: str, kind: str = "POSITIONAL_OR_KEYWORD", **default: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, **default}


@pytest.mark.parametrize(("moose", "ours", "expected"), [
    ([_p("a"), _p("b", default=None)], [_p("a"), _p("b", default=None)], []),
    ([_p("a")], [_p("a", default=1)], []),  # muskox may default what moose-lib requires
    ([_p("a")], [], ["no parameter 'a'"]),
    ([_p("a"), _p("b")], [_p("b"), _p("a")],
     ["'a' is not positional parameter 1", "'b' is not positional parameter 2"]),
    ([_p("a", default=1)], [_p("a", default=2)], ["'a' defaults to 2, moose-lib's to 1"]),
    ([_p("a", "KEYWORD_ONLY", default=None)], [_p("a", "KEYWORD_ONLY"), ], ["'a' defaults to '<required>', "
                                                                           "moose-lib's to None",
                                                                           "muskox requires 'a', moose-lib does not"]),
    ([_p("a", "KEYWORD_ONLY")], [_p("a", "POSITIONAL_ONLY")], ["'a' takes no keyword"]),
    ([], [_p("extra")], ["muskox requires 'extra'"]),
    ([_p("kwargs", "VAR_KEYWORD")], [_p("t", "KEYWORD_ONLY", default=None)], []),
])
def test_incompatibilities(moose: list[dict[str, Any]], ours: list[dict[str, Any]], expected: list[str]) -> None:
    assert incompatibilities(moose, ours) == expected
