"""The hooks of issue 17: config sections from plugins, plan checks and their gate, the apply lifecycle (a failing
hook never changes a migration's outcome) and resource backends for plugins' own kinds of objects."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import attrs
import pytest

from muskox.apply.executor import execute
from muskox.apply.lifecycle import RunHooks
from muskox.cli.config_cmd import effective
from muskox.config import Config, RedisConfig, load_config
from muskox.errors import ConfigError, PluginError
from muskox.exit_codes import ExitCode
from muskox.masking import MASK
from muskox.model import InfraMap
from muskox.model.operations import DropTable, RawSql
from muskox.plan.checks import FindingsRefused, PlanCheck, Severity, check_plan, findings_approved, gate
from muskox.plugin.backends import Backends
from muskox.plugin.manager import Plugins

SAMPLES = Path(__file__).parent


@pytest.fixture(autouse=True)
def _samples_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SAMPLES))


def load() -> Plugins:
    entry = importlib.metadata.EntryPoint(name="behaviour", value="plugin_samples.behaviour_hooks", group="muskox")
    return Plugins.load(env={}, entry_points=[entry])


def config_of(tmp_path: Path, text: str, *, env: dict[str, str] | None = None, tenant: str | None = None) -> Config:
    (tmp_path / "muskox.toml").write_text(text)
    return load_config(tmp_path, env=env or {}, tenant=tenant, sections=load().config_sections())


# -- config sections -------------------------------------------------------------------------------------------


def test_a_plugin_section_is_read_from_file_tenant_and_env(tmp_path: Path) -> None:
    config = config_of(tmp_path, '[sample_section]\ntoken = "s3cret"\nretries = 5\n'
                                 '[tenants.acme.sample_section]\nchannels = ["#ops"]\n',
                       env={"MUSKOX_SAMPLE_SECTION__ENABLED": "true"}, tenant="acme")
    section = config.section("sample_section")
    assert (section.token, section.retries, section.channels, section.enabled) == ("s3cret", 5, ["#ops"], True)
    assert config.origins["sample_section.enabled"] == "environment variable MUSKOX_SAMPLE_SECTION__ENABLED"
    shown = effective(config)["sample_section"]
    assert shown["token"] == {"value": MASK, "origin": "muskox.toml"}
    assert shown["retries"]["value"] == 5


def test_unknown_and_mistyped_keys_of_a_plugin_section_are_the_usual_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'retry' in \[sample_section\].*valid keys: channels"):
        config_of(tmp_path, "[sample_section]\nretry = 1\n")
    with pytest.raises(ConfigError, match=r"sample_section.token must be a string, got \*\*\*"):
        config_of(tmp_path, "[sample_section]\ntoken = 1\n")
    with pytest.raises(ConfigError, match=r"MUSKOX_SAMPLE_SECTION__RETRIES: sample_section\.retries must be an int"):
        config_of(tmp_path, "", env={"MUSKOX_SAMPLE_SECTION__RETRIES": "many"})
    with pytest.raises(ConfigError, match=r"unknown section \[sample_sectio\].*sample_section"):
        config_of(tmp_path, "[sample_sectio]\n")


def test_without_the_plugin_its_section_is_unknown_and_defaults_are_at_hand(tmp_path: Path) -> None:
    (tmp_path / "muskox.toml").write_text("[sample_section]\nretries = 1\n")
    with pytest.raises(ConfigError, match="a plugin's section needs that plugin installed"):
        load_config(tmp_path, env={})
    from plugin_samples.behaviour_hooks import SampleSection

    assert Config().section("sample_section", SampleSection).retries == 3
    with pytest.raises(KeyError):
        Config().section("sample_section")


def test_built_in_sections_are_declared_by_their_plugins_and_cannot_be_redefined() -> None:
    plugins = Plugins.load(env={})
    sections = plugins.config_sections()
    assert sections["redis_config"] is RedisConfig
    owners = {info.name: info.registers.get("config_sections", ()) for info in plugins.describe()}
    assert ("redis_config",) in owners.values()

    @attrs.frozen(kw_only=True)
    class Impostor:
        url: str = ""

    class Rogue:
        @staticmethod
        def muskox_register_config_sections(register):  # type: ignore[no-untyped-def]
            register("redis_config", Impostor)

    from muskox import hookimpl

    rogue = Plugins.load(env={}, entry_points=[])
    rogue._pm.register(type("M", (), {"muskox_register_config_sections": staticmethod(
        hookimpl(Rogue.muskox_register_config_sections))})(), name="rogue")
    with pytest.raises(PluginError, match=r"plugin 'rogue' .*declares config section \[redis_config\]"):
        rogue.config_sections()


# -- plan checks -----------------------------------------------------------------------------------------------


def test_findings_name_their_plugin_and_errors_are_gated() -> None:
    plan = PlanCheck(operations=(DropTable(table="forbidden"),), target=InfraMap(default_database="db"))
    findings = check_plan(load(), plan)
    assert [(f.plugin, f.finding.code, f.finding.severity) for f in findings] == [
        ("behaviour", "sample_seen", Severity.WARNING), ("behaviour", "sample_forbidden", Severity.ERROR)]
    said: list[str] = []
    with pytest.raises(FindingsRefused) as info:
        gate(findings, approved=False, say=said.append)
    assert info.value.exit_code == ExitCode.DESTRUCTIVE_REFUSED == 10
    assert "error sample_forbidden (plugin behaviour) [forbidden]: table 'forbidden' may not change" in str(info.value)
    assert "--yes-findings" in info.value.fix
    assert said == ["plan check: warning sample_seen (plugin behaviour): 1 operation(s)"]
    gate(findings, approved=True, say=said.append)
    assert said[-1].startswith("plan check (approved): error sample_forbidden")


def test_a_check_that_raises_is_an_error_finding_of_its_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    import plugin_samples.behaviour_hooks as sample

    def broken(plan: PlanCheck) -> None:
        raise ValueError("boom")

    plugins = load()
    monkeypatch.setattr(plugins._pm.get_plugin("behaviour"), "muskox_check_plan", broken, raising=False)
    impl = next(i for i in plugins._pm.hook.muskox_check_plan.get_hookimpls() if i.plugin_name == "behaviour")
    monkeypatch.setattr(impl, "function", broken)
    found = check_plan(plugins, PlanCheck(operations=(), target=InfraMap(default_database="db")))
    assert [(f.plugin, f.finding.code, f.finding.severity) for f in found] == [
        ("behaviour", "check_failed", Severity.ERROR)]
    assert "ValueError: boom" in found[0].finding.message
    assert sample  # imported for the monkeypatch target


def test_approval_from_flag_or_environment() -> None:
    assert findings_approved(flag=True, env={})
    assert findings_approved(flag=False, env={"MUSKOX_ACCEPT_FINDINGS": "1"})
    assert findings_approved(flag=False, env={"MUSKOX_ACCEPT_ALL": "yes"})
    assert not findings_approved(flag=False, env={"MUSKOX_ACCEPT_DESTRUCTIVE": "1"})


# -- the apply lifecycle ---------------------------------------------------------------------------------------


def test_lifecycle_hooks_fire_and_a_failing_hook_changes_nothing() -> None:
    from plugin_samples.behaviour_hooks import EVENTS

    EVENTS.clear()
    said: list[str] = []
    hooks = RunHooks(load(), Config(), command="migrate", mode="snapshot", say=said.append, approve_findings=False)
    operations = [RawSql(sql=("SELECT 1",), description="one"), RawSql(sql=("SELECT 2",), description="two")]

    def apply_one(operation: object) -> None:
        if operation is operations[1]:
            raise RuntimeError("server said no")

    report = execute(operations, hooks.wrap(apply_one, operations, label="abc"), parallelism=1)
    hooks.finished(report)
    assert [f.index for f in report.failed] == [1]
    assert str(report.failed[0].error) == "server said no"  # the operation's error, never the hook's
    assert report.succeeded == (0,)
    assert EVENTS == [("started", "abc", 2), ("applied", 1, "ok", None), ("applied", 2, "failed", "server said no"),
                      ("finished", "failed")]
    assert len(said) == 1  # reported once per plugin and hook
    assert "plugin 'behaviour' failed in muskox_operation_applied: RuntimeError: the audit sink is down" in said[0]


def test_without_listeners_the_applier_is_unchanged() -> None:
    hooks = RunHooks(Plugins.load(env={}, entry_points=[]), Config(), command="migrate", mode="delta",
                     say=print, approve_findings=False)

    def apply_one(operation: object) -> None:
        pass

    assert hooks.wrap(apply_one, [], label=None) is apply_one


# -- resource backends -----------------------------------------------------------------------------------------


def test_operations_of_a_plugin_kind_go_to_its_resource_backend() -> None:
    from plugin_samples.behaviour_hooks import DnsBackend, PokeDns

    plugins = load()
    assert plugins.operations()["PokeDns"] is PokeDns
    DnsBackend.applied.clear()

    class Olap:
        def apply(self, operation: object) -> None:
            raise AssertionError("not an OLAP operation")

        def close(self) -> None:
            pass

    backends = Backends(Olap(), None, open_resource=lambda name: plugins.resource_backend(name).from_config(Config()))
    with backends:
        backends.apply(PokeDns(name="api"))
        backends.apply(PokeDns(name="www"))
    assert DnsBackend.applied == ["api", "www", "closed"]
    with pytest.raises(PluginError, match="no resource backend named 'ftp'"):
        plugins.resource_backend("ftp")
