"""The plugin manager: discovery, operator controls, failures and the registry facade."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from muskox.errors import PluginError
from muskox.plugin.manager import BUILTIN_PLUGINS, Plugins

SAMPLES = Path(__file__).parent


def ep(name: str, module: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=f"plugin_samples.{module}", group="muskox")


@pytest.fixture(autouse=True)
def _samples_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SAMPLES))


def load(*entry_points: importlib.metadata.EntryPoint, **env: str) -> Plugins:
    return Plugins.load(env=env, entry_points=list(entry_points))


def test_builtins_and_entry_point_plugins_register_their_items() -> None:
    plugins = load(ep("good", "good_commands"))
    assert {"plugins", "config", "plan", "sample-hello"} <= set(plugins.commands())
    assert plugins.olap_backend("sample").from_config(None).server_version() == "sample-1.0"  # type: ignore[arg-type]
    described = {info.name: info for info in plugins.describe()}
    with plugins.stream_backend("sample").from_config(None) as stream:  # type: ignore[arg-type]
        assert stream.list_topics() == ["sample-topic"]
    assert plugins.state_store("sample").__name__ == "SampleStore"
    assert described["good"].registers == {
        "commands": ("sample-hello",), "olap_backends": ("sample",), "state_stores": ("sample",),
        "stream_backends": ("sample",), "operations": ("SampleOperation",)}
    assert {"CreateTable", "RawSql", "SampleOperation"} <= set(plugins.operations())
    assert described["good"].builtin is False
    assert described[BUILTIN_PLUGINS[0][0]].builtin is True
    assert plugins.warnings == []


def test_duplicate_registration_names_both_plugins() -> None:
    plugins = load(ep("good", "good_commands"), ep("dupe", "duplicate_command"))
    with pytest.raises(PluginError) as info:
        plugins.commands()
    message = str(info.value)
    assert "'sample-hello'" in message and "'good'" in message and "'dupe'" in message
    assert "MUSKOX_DISABLE_PLUGINS" in message


def test_broken_plugin_warns_once_and_the_rest_keeps_working() -> None:
    plugins = load(ep("broken", "broken_import"), ep("good", "good_commands"))
    assert len(plugins.warnings) == 1
    assert "'broken'" in plugins.warnings[0] and "ModuleNotFoundError" in plugins.warnings[0]
    assert "sample-hello" in plugins.commands()
    assert "broken" not in {info.name for info in plugins.describe()}


def test_plugin_with_unknown_hook_is_skipped_with_a_warning() -> None:
    plugins = load(ep("typo", "unknown_hook"), ep("good", "good_commands"))
    assert len(plugins.warnings) == 1
    assert "muskox_register_comands" in plugins.warnings[0]
    assert "typo" not in {info.name for info in plugins.describe()}


def test_registering_the_wrong_type_is_an_error_naming_the_plugin() -> None:
    plugins = load(ep("wrong", "wrong_type"))
    with pytest.raises(PluginError, match=r"plugin 'wrong' registered OLAP backend 'bogus'.*OlapBackend"):
        plugins.olap_backends()


def test_allow_list_loads_only_named_plugins_and_warns_about_unknown_names() -> None:
    plugins = load(ep("good", "good_commands"), ep("dupe", "duplicate_command"),
                   MUSKOX_LOAD_PLUGINS="good, nonexistent")
    assert "sample-hello" in plugins.commands()  # no duplicate error: 'dupe' was not loaded
    assert {info.name for info in plugins.describe() if not info.builtin} == {"good"}
    assert any("nonexistent" in w for w in plugins.warnings)


def test_block_list_skips_plugins_including_builtins() -> None:
    builtin = BUILTIN_PLUGINS[0][0]
    plugins = load(ep("good", "good_commands"), ep("dupe", "duplicate_command"),
                   MUSKOX_DISABLE_PLUGINS=f"dupe,{builtin}")
    assert set(plugins.commands()) == {"sample-hello"}


def test_trace_prints_loads_and_hook_calls(capsys: pytest.CaptureFixture[str]) -> None:
    plugins = load(ep("good", "good_commands"), MUSKOX_TRACE_PLUGINS="1")
    plugins.commands()
    err = capsys.readouterr().err
    assert "muskox-trace: loaded plugin good" in err
    assert "muskox_register_commands -> good: sample-hello" in err


def test_no_trace_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    load(ep("good", "good_commands")).commands()
    assert capsys.readouterr().err == ""


def test_two_plugins_with_one_name_fail_naming_both() -> None:
    with pytest.raises(PluginError, match="two plugins are named 'good'"):
        load(ep("good", "good_commands"), ep("good", "duplicate_command"))


def test_unknown_backend_lists_available_and_suggests_install() -> None:
    plugins = load(ep("good", "good_commands"))
    with pytest.raises(PluginError, match=r"no state store named 'nosuch'.*pip install muskox-state-nosuch"):
        plugins.state_store("nosuch")
