"""A plugin's own kind of object, planned from declarations, end to end against a real ClickHouse: the sample
webhook plugin (``tests/core/plugin_samples/webhooks.py``, installed through an entry point) declared from the
project's code goes through ``generate migration --save``, ``migrate`` and an empty ``plan``, is shown in
``plan --json`` and ``--sql``, kept in the state, and a change behind muskox's back is drift."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from muskox.exit_codes import ExitCode
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer

SAMPLES = Path(__file__).parents[1] / "core"

MAIN = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable
from plugin_samples.webhooks import webhook


class Event(BaseModel):
    id: Key[str]


events = OlapTable[Event]("events", OlapConfig(order_by_fields=["id"]))
webhook("deploys", "{url}", ["migrate", "prod"])
"""


@pytest.fixture
def project(clickhouse_server: RunningServer, tmp_path: Path) -> tuple[Path, str, dict[str, str]]:
    database = "plugin_kinds_e2e"
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
        admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    site = tmp_path / "site" / "muskox_sample_webhooks-0.1.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Metadata-Version: 2.1\nName: muskox-sample-webhooks\nVersion: 0.1\n")
    (site / "entry_points.txt").write_text("[muskox]\nwebhooks = plugin_samples.webhooks\n")
    directory = tmp_path / "project"
    (directory / "app").mkdir(parents=True)
    (directory / "app" / "main.py").write_text(MAIN.replace("{url}", "https://chat/x"))
    (directory / "muskox.toml").write_text(
        f'[clickhouse_config]\ndb_name = "{database}"\n[state_config]\nstorage = "file"\n'
        f'[webhook_config]\ndir = "{tmp_path / "hooks"}"\n')
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(SAMPLES)])}
    return directory, f"{clickhouse_server.http_url}/{database}", env


def muskox(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args],
                          env={**clean, **env}, capture_output=True, text=True, timeout=180, check=False)


def test_a_declared_webhook_is_planned_applied_and_converges(project: tuple[Path, str, dict[str, str]]) -> None:
    directory, url, env = project
    hooks = directory.parent / "hooks"

    shown = muskox(directory, env, "plan", "--clickhouse-url", url, "--json", "--sql")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert [op for op in document["operations"] if "CreateWebhook" in json.dumps(op)], document["operations"]
    sql = muskox(directory, env, "plan", "--clickhouse-url", url, "--sql")
    assert "Creating webhook 'deploys'" in sql.stdout and "webhook backend's API, not SQL" in sql.stdout

    saved = muskox(directory, env, "generate", "migration", "--clickhouse-url", url, "--save")
    assert saved.returncode == 0, saved.stderr
    plan_file = (directory / "migrations" / "plan.yaml").read_text()
    assert "CreateWebhook" in plan_file
    assert "muskox_extensions" in (directory / "migrations" / "local_infra_map.json").read_text()

    applied = muskox(directory, env, "migrate", "--clickhouse-url", url)
    assert applied.returncode == 0, applied.stderr
    assert json.loads((hooks / "deploys.json").read_text()) == {"url": "https://chat/x",
                                                                 "events": ["migrate", "prod"]}
    empty = muskox(directory, env, "plan", "--clickhouse-url", url, "--exit-code")
    assert empty.returncode == 0, empty.stdout + empty.stderr

    # the declaration changes: update through a reviewed plan
    (directory / "app" / "main.py").write_text(MAIN.replace("{url}", "https://chat/y"))
    assert muskox(directory, env, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    assert "UpdateWebhook" in (directory / "migrations" / "plan.yaml").read_text()

    # someone edits the webhook behind muskox's back: the reviewed plan no longer applies
    (hooks / "deploys.json").write_text('{"url": "https://elsewhere", "events": []}')
    drifted = muskox(directory, env, "migrate", "--clickhouse-url", url)
    assert drifted.returncode == ExitCode.DRIFT, drifted.stderr
    assert "~ webhook deploys: specification changed" in drifted.stderr

    assert muskox(directory, env, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    again = muskox(directory, env, "migrate", "--clickhouse-url", url)
    assert again.returncode == 0, again.stderr
    assert json.loads((hooks / "deploys.json").read_text())["url"] == "https://chat/y"
    assert muskox(directory, env, "plan", "--clickhouse-url", url, "--exit-code").returncode == 0



def test_deleting_is_gated_and_delta_mode_refuses_the_kind(project: tuple[Path, str, dict[str, str]]) -> None:
    directory, url, env = project
    assert muskox(directory, env, "generate", "migration", "--clickhouse-url", url, "--save").returncode == 0
    assert muskox(directory, env, "migrate", "--clickhouse-url", url).returncode == 0
    (directory / "app" / "main.py").write_text(MAIN.replace('webhook("deploys", "{url}", ["migrate", "prod"])', ""))
    dropped = muskox(directory, env, "generate", "migration", "--clickhouse-url", url, "--save")
    assert dropped.returncode == ExitCode.DESTRUCTIVE_REFUSED, dropped.stderr  # deleting a webhook is gated
    assert "Deleting webhook 'deploys'" in dropped.stderr
    approved = muskox(directory, env, "generate", "migration", "--clickhouse-url", url, "--save", "--yes-destructive")
    assert approved.returncode == 0, approved.stderr
    assert muskox(directory, env, "migrate", "--clickhouse-url", url).returncode == 0
    assert not (directory.parent / "hooks" / "deploys.json").exists()
    assert muskox(directory, env, "plan", "--clickhouse-url", url, "--exit-code").returncode == 0

    # migration files (delta mode) have no form for a plugin's operations yet: refused, nothing written
    (directory / "app" / "main.py").write_text(MAIN.replace("{url}", "https://chat/x"))
    config = directory / "muskox.toml"
    config.write_text(config.read_text() + "[features]\nmigrate_with_deltas = true\n")
    refused = muskox(directory, env, "generate", "migration", "--clickhouse-url", url, "--save",
                     "--description", "hooks")
    assert refused.returncode == ExitCode.PLAN_INVALID, refused.stderr
    assert "CreateWebhook cannot be written to a migration file" in refused.stderr
