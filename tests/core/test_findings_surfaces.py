"""Plan-check findings where issue 17 left them out: ``prod --yes-findings`` and ``plan --format markdown``."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from muskox.cli.plan_markdown import render_markdown
from muskox.cli.prod_cmd import prod_command
from muskox.config import Config, MigrationConfig
from muskox.model import Column, InfraMap, Table
from muskox.model.types import Simple
from muskox.plan.checks import CheckFinding, FindingsRefused, PluginFinding
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plugin.manager import Plugins
from muskox.server import boot as boot_module
from muskox.state.file_store import FileStateStore
from tests.core.toy_dialect import TOY, ToyBackend

SAMPLES = Path(__file__).parent


@pytest.fixture(autouse=True)
def _samples_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SAMPLES))
    monkeypatch.delenv("MUSKOX_ACCEPT_FINDINGS", raising=False)
    monkeypatch.delenv("MUSKOX_ACCEPT_ALL", raising=False)
    monkeypatch.delenv("MOOSE_ACCEPT_ALL", raising=False)


def behaviour() -> Plugins:
    entry = importlib.metadata.EntryPoint(name="behaviour", value="plugin_samples.behaviour_hooks", group="muskox")
    return Plugins.load(env={}, entry_points=[entry])


def forbidden() -> InfraMap:
    table = Table(name="forbidden", columns=(Column(name="id", data_type=Simple("Int64")),), order_by=("id",))
    return InfraMap.of("shop", tables=[table])


class Backend(ToyBackend):
    """The toy database as ``boot`` sees a backend: the dialect as an attribute, introspection with arguments."""

    dialect = TOY  # type: ignore[assignment]

    def introspect(self, *args: Any) -> InfraMap:  # type: ignore[override]
        return self.schema


# -- prod ------------------------------------------------------------------------------------------------------


def test_prod_offers_yes_findings_before_the_command() -> None:
    shown = CliRunner().invoke(prod_command, ["--help"])
    assert "--yes-findings" in shown.output


def test_the_boot_migration_refuses_an_error_finding_unless_approved(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the sample rule refuses any change to table 'forbidden': here the code drops it
    monkeypatch.setattr(boot_module, "load_target", lambda *args: InfraMap(default_database="shop"))
    config = Config(migration_config=MigrationConfig(prod_auto_allow_destructive=True))

    def run(approve: bool | None) -> Backend:
        backend = Backend(forbidden())
        store = FileStateStore(tmp_path / "state", dialect=TOY)
        store.save_state(forbidden())  # muskox manages it
        boot_module.boot(plugins=behaviour(), config=config, project_dir=tmp_path, backend=backend, store=store,
                         owner="me:1", lock_wait=0, progress=lambda line: None, approve_findings=approve)
        return backend

    with pytest.raises(FindingsRefused, match="sample_forbidden"):
        run(None)
    assert run(True).schema.tables == {}


# -- plan --format markdown ------------------------------------------------------------------------------------


FINDINGS = [PluginFinding("rule_ttl", CheckFinding.warning("seen", "a | b")),
            PluginFinding("rule_ttl", CheckFinding.error("ttl_missing", "no TTL", '"shop"."forbidden"'))]


def test_markdown_lists_findings_errors_first() -> None:
    result = make_plan(PlanRequest(current=InfraMap(default_database="shop"), target=forbidden(), dialect=TOY))
    text = render_markdown(result, [], None, TOY, "shop", FINDINGS)
    assert "**Plan checks: 1 error(s), 1 warning(s)**" in text
    rows = [line for line in text.splitlines() if line.startswith("| error") or line.startswith("| warning")]
    assert rows == ['| error | `ttl_missing` | rule_ttl | "shop"."forbidden" | no TTL |',
                    "| warning | `seen` | rule_ttl |  | a \\| b |"]


def test_markdown_shows_findings_of_an_empty_plan_and_nothing_without_findings() -> None:
    empty = make_plan(PlanRequest(current=forbidden(), target=forbidden(), dialect=TOY))
    assert "`ttl_missing`" in render_markdown(empty, [], None, TOY, "shop", FINDINGS)
    assert "Plan checks" not in render_markdown(empty, [], None, TOY, "shop")
