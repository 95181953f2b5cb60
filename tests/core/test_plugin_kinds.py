"""Plugins' kinds planned from declarations (``InfraMap.extensions``): collected, introspected, planned, encoded,
applied through the resource backend and checked for drift, on the toy backend (no server)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from muskox.apply.drift import drift_report, same_state
from muskox.apply.executor import execute
from muskox.config import Config
from muskox.errors import PluginError
from muskox.files.state_hash import state_hash
from muskox.model import InfraMap
from muskox.model.codec import model_codec
from muskox.model.extensions import read_extensions
from muskox.plan.fold import FoldError, fold
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import ApprovalRequired
from muskox.plan.reconcile import applied_state, reconcile
from muskox.plugin.backends import Backends
from muskox.plugin.kinds import active_kinds, declared_extensions
from muskox.plugin.manager import Plugins
from tests.core.toy_dialect import TOY, ToyBackend

SAMPLES = Path(__file__).parent


@pytest.fixture(autouse=True)
def _samples_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SAMPLES))


def load() -> Plugins:
    entry = importlib.metadata.EntryPoint(name="webhooks", value="plugin_samples.webhooks", group="muskox")
    return Plugins.load(env={}, entry_points=[entry])


def declare(*hooks: tuple[str, str, list[str]]) -> None:
    from plugin_samples.webhooks import webhook

    for name, url, events in hooks:
        webhook(name, url, events)


def backends(plugins: Plugins, config: Config) -> Backends:
    return Backends(ToyBackend(InfraMap(default_database="shop")), None,
                    open_resource=lambda name: plugins.resource_backend(name).from_config(config))


def test_only_backends_that_declare_are_kinds() -> None:
    assert "webhook" in load().resource_backends()
    assert set(active_kinds()) == {"webhook"}
    entry = importlib.metadata.EntryPoint(name="behaviour", value="plugin_samples.behaviour_hooks", group="muskox")
    Plugins.load(env={}, entry_points=[entry])
    assert active_kinds() == {}  # 'dns' is applied from plan files only


def test_a_kind_goes_from_declarations_to_the_backend_and_converges(tmp_path: Path) -> None:
    from plugin_samples.webhooks import WebhookConfig

    plugins = load()
    config = Config(plugin_sections={"webhook_config": WebhookConfig(dir=str(tmp_path / "hooks"))})
    declare(("deploys", "https://chat/x", ["migrate", "prod"]), ("alerts", "https://pager/y", []))
    target = InfraMap(default_database="shop", extensions=declared_extensions(tmp_path, config))
    assert target.extensions == {"webhook": {"alerts": {"url": "https://pager/y", "events": []},
                                             "deploys": {"url": "https://chat/x", "events": ["migrate", "prod"]}}}

    with backends(plugins, config) as live:
        current = reconcile(None, live.introspect(None, target), target)
        assert current.extensions == {}
        plan = make_plan(PlanRequest(current=current, target=target, dialect=TOY))
        assert [op.describe() for op in plan.operations] == ["Creating webhook 'alerts' → https://pager/y",
                                                            "Creating webhook 'deploys' → https://chat/x"]
        report = execute(plan.operations, live.apply, parallelism=4)
        assert report.ok
        state = applied_state(None, live.introspect(None, target), target)
        assert same_state(state, target, TOY)
        again = reconcile(state, live.introspect(state, target), target)
        assert make_plan(PlanRequest(current=again, target=target, dialect=TOY)).empty

        # the state round-trips through the file encoding and counts in the state hash
        codec = model_codec(TOY)
        assert codec.from_json(codec.to_json(state), InfraMap) == state
        assert state_hash(state, TOY) != state_hash(InfraMap(default_database="shop"), TOY)

        # a change made behind muskox's back is drift, reported by name
        (tmp_path / "hooks" / "alerts.json").write_text('{"url": "https://elsewhere", "events": []}')
        drifted = reconcile(state, live.introspect(state, target), target)
        assert not same_state(drifted, state, TOY)
        assert drift_report(state, drifted, TOY) == ["~ webhook alerts: specification changed"]

        # the code drops one declaration and changes the other
        changed = InfraMap(default_database="shop",
                           extensions={"webhook": {"alerts": {"url": "https://pager/z", "events": []}}})
        now = reconcile(state, live.introspect(state, changed), changed)
        with pytest.raises(ApprovalRequired, match="Deleting webhook 'deploys'"):  # destructive: gated
            make_plan(PlanRequest(current=now, target=changed, dialect=TOY))
        plan = make_plan(PlanRequest(current=now, target=changed, dialect=TOY, gate=False))
        assert [type(op).__name__ for op in plan.operations] == ["UpdateWebhook", "DeleteWebhook"]
        assert [f.description for f in plan.destructive] == ["Deleting webhook 'deploys'"]
        assert execute(plan.operations, live.apply, parallelism=1).ok
    assert sorted(p.name for p in (tmp_path / "hooks").iterdir()) == ["alerts.json"]


def test_plan_files_of_a_kind_fold_through_its_backend() -> None:
    from plugin_samples.webhooks import CreateWebhook, DeleteWebhook, UpdateWebhook

    load()
    empty = InfraMap(default_database="shop")
    created = fold(empty, [CreateWebhook(name="a", url="u", events=("x",))])
    assert created.extensions == {"webhook": {"a": {"url": "u", "events": ["x"]}}}
    assert fold(created, [UpdateWebhook(name="a", url="v")]).extensions["webhook"]["a"]["url"] == "v"
    assert fold(created, [DeleteWebhook(name="a")]).extensions == {}
    with pytest.raises(FoldError, match="webhook 'a' exists already"):
        fold(created, [CreateWebhook(name="a", url="u")])
    with pytest.raises(FoldError, match="webhook 'b' is missing"):
        fold(created, [UpdateWebhook(name="b", url="u")])


def test_objects_of_a_kind_without_its_plugin_stop_planning() -> None:
    Plugins.load(env={}, entry_points=[])
    stored = InfraMap(default_database="shop", extensions={"webhook": {"a": {"url": "u", "events": []}}})
    with pytest.raises(PluginError, match="objects of kind 'webhook'"):
        make_plan(PlanRequest(current=stored, target=InfraMap(default_database="shop"), dialect=TOY, gate=False))


def test_the_encoding_refuses_other_shapes() -> None:
    assert read_extensions(None) == {}
    with pytest.raises(ValueError, match=r"muskox_extensions.webhook.a must be an object"):
        read_extensions({"webhook": {"a": 1}})
