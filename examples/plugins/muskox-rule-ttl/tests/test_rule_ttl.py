"""The example rule: unit checks of its findings, and end to end against a real ClickHouse: it blocks
``generate migration`` (exit 10, its code), is approved with ``--yes-findings``, shows in ``plan --json``,
and stops ``migrate`` of a plan that breaks it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from muskox.config import Config
from muskox.exit_codes import ExitCode
from muskox.model import InfraMap
from muskox.model.engines import MergeTree
from muskox.model.operations import CreateTable, ModifyTableTtl
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox.plan.checks import PlanCheck, Severity, check_plan
from muskox.plugin.manager import Plugins
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from muskox_rule_ttl import CODE, TtlRuleConfig


def table(name: str, ttl: str | None = None) -> Table:
    return Table(name=name, columns=(Column(name="ts", data_type=Simple("DateTime")),), order_by=("ts",),
                 engine=MergeTree(), ttl=ttl)


def check(*operations: object, **settings: object) -> list[tuple[str, str, Severity, str | None]]:
    config = Config(plugin_sections={"ttl_rule": TtlRuleConfig(**settings)})  # type: ignore[arg-type]
    plan = PlanCheck(operations=tuple(operations), target=InfraMap(default_database="db"),  # type: ignore[arg-type]
                     config=config)
    return [(f.plugin, f.finding.code, f.finding.severity, f.finding.subject)
            for f in check_plan(Plugins.load(env={}), plan)]


def test_the_rule_is_off_until_enabled() -> None:
    assert check(CreateTable(table=table("events"))) == []


def test_tables_without_ttl_and_removed_ttls_are_findings() -> None:
    found = check(CreateTable(table=table("events")), CreateTable(table=table("kept", ttl="ts + INTERVAL 1 DAY")),
                  ModifyTableTtl(table="old", before="ts + INTERVAL 1 DAY", after=None), enabled=True)
    assert found == [("rule_ttl", CODE, Severity.ERROR, "events"), ("rule_ttl", CODE, Severity.ERROR, "old")]


def test_exempt_tables_and_warning_severity() -> None:
    found = check(CreateTable(table=table("events")), CreateTable(table=table("dims")), enabled=True,
                  severity="warning", exempt=["dims"])
    assert found == [("rule_ttl", CODE, Severity.WARNING, "events")]


# -- end to end ---------------------------------------------------------------------------------------------

MAIN = """
from datetime import datetime
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Event(BaseModel):
    id: Key[str]
    ts: datetime


events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]{ttl}))
"""


def muskox(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args],
                          env={**clean, **(env or {})}, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def project(clickhouse_server: RunningServer, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    database = f"ttl_{request.node.name[5:30]}".replace("-", "_")
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
        admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(MAIN.replace("{ttl}", ""))
    (tmp_path / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                          '[state_config]\nstorage = "file"\n[ttl_rule]\nenabled = true\n')
    return tmp_path, f"{clickhouse_server.http_url}/{database}"


def test_generate_is_blocked_with_exit_10_naming_plugin_and_code(project: tuple[Path, str]) -> None:
    directory, url = project
    result = muskox(directory, "generate", "migration", "--clickhouse-url", url, "--save")
    assert result.returncode == ExitCode.DESTRUCTIVE_REFUSED, result.stderr
    assert "error ttl_missing (plugin rule_ttl) [events]" in result.stderr
    assert "--yes-findings" in result.stderr
    assert not (directory / "migrations" / "plan.yaml").exists()


def test_approved_with_yes_findings_then_migrate_needs_it_too(project: tuple[Path, str]) -> None:
    directory, url = project
    result = muskox(directory, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-findings")
    assert result.returncode == 0, result.stderr
    assert "plan check (approved): error ttl_missing" in result.stderr
    refused = muskox(directory, "migrate", "--clickhouse-url", url)
    assert refused.returncode == ExitCode.DESTRUCTIVE_REFUSED, refused.stderr
    assert "ttl_missing" in refused.stderr
    applied = muskox(directory, "migrate", "--clickhouse-url", url, env={"MUSKOX_ACCEPT_FINDINGS": "1"})
    assert applied.returncode == 0, applied.stderr
    assert muskox(directory, "plan", "--clickhouse-url", url, "--exit-code").returncode == 0


def test_plan_json_lists_findings_and_a_ttl_clears_them(project: tuple[Path, str]) -> None:
    directory, url = project
    result = muskox(directory, "plan", "--clickhouse-url", url, "--json")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert findings == [{"plugin": "rule_ttl", "code": CODE, "severity": "error", "subject": "events",
                         "message": "table 'events' declares no TTL; add OlapConfig(ttl=...) or list it in "
                                    "[ttl_rule] exempt"}]
    (directory / "app" / "main.py").write_text(MAIN.replace("{ttl}", ', ttl="ts + INTERVAL 30 DAY"'))
    clean = muskox(directory, "plan", "--clickhouse-url", url, "--json")
    assert json.loads(clean.stdout)["findings"] == []
    assert muskox(directory, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0


def test_warning_severity_is_printed_and_does_not_block(project: tuple[Path, str]) -> None:
    directory, url = project
    with (directory / "muskox.toml").open("a") as config:
        config.write('severity = "warning"\n')
    result = muskox(directory, "generate", "migration", "--clickhouse-url", url, "--save")
    assert result.returncode == 0, result.stderr
    assert "plan check: warning ttl_missing (plugin rule_ttl) [events]" in result.stderr


def test_a_mistyped_key_of_the_rule_section_is_the_usual_config_error(project: tuple[Path, str]) -> None:
    directory, url = project
    with (directory / "muskox.toml").open("a") as config:
        config.write("severity = 3\n")
    result = muskox(directory, "plan", "--clickhouse-url", url)
    assert result.returncode == ExitCode.CONFIG
    assert "ttl_rule.severity must be a string, got 3" in result.stderr
    env_typo = muskox(directory, "config", "show", env={"MUSKOX_TTL_RULE__ENABLD": "1"})
    assert env_typo.returncode == ExitCode.CONFIG
    assert "unknown key 'enabld' in [ttl_rule]" in env_typo.stderr
