"""The scenario corpus, end to end through the CLI against a real ClickHouse (issue: planner).

For each scenario, in a fresh database with the KeeperMap state store: apply *before*
(``generate migration --save --yes-all`` then ``migrate``), then generate the plan for *after*, check its
operations and blocked changes, ``migrate`` it, check the database now introspects as the code says
(normalized), and that ``plan --exit-code`` finds nothing left to do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from muskox.apply.drift import same_state
from muskox.cli.main import run
from muskox.config import ClickHouseConfig, Config
from muskox.declare.collect import collect_project
from muskox.exit_codes import ExitCode
from muskox.files.plan_yaml import plan_from_yaml
from muskox.plan.reconcile import reconcile
from muskox.plugin.manager import Plugins
from muskox_clickhouse import ClickHouseBackend
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from tests.e2e.scenarios import HEADER, SCENARIOS, Scenario


def write_code(project: Path, body: str) -> None:
    app = project / "app"
    app.mkdir(exist_ok=True)
    (app / "main.py").write_text(HEADER + body)


def cli(project: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(["--project", str(project), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def apply(project: Path, url: str, flags: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    code, _out, err = cli(project, "generate", "migration", "--clickhouse-url", url, "--save", *flags,
                          capsys=capsys)
    assert code == ExitCode.OK, err
    code, _out, err = cli(project, "migrate", "--clickhouse-url", url, capsys=capsys)
    assert code == ExitCode.OK, err
    return err


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario: Scenario, clickhouse_server: RunningServer, tmp_path: Path,
                  capsys: pytest.CaptureFixture[str]) -> None:
    database = "sc_" + re.sub(r"\W", "_", scenario.name)[:40]
    url = f"{clickhouse_server.http_url}/{database}"
    project = tmp_path / "project"
    project.mkdir()
    (project / "muskox.toml").write_text(f'[clickhouse_config]\ndb_name = "{database}"\n'
                                         '[state_config]\nstorage = "clickhouse"\n')

    write_code(project, scenario.before)
    apply(project, url, ("--yes-all",), capsys)

    write_code(project, scenario.after)
    code, out, err = cli(project, "generate", "migration", "--clickhouse-url", url, "--save", *scenario.flags,
                         capsys=capsys)
    assert code == ExitCode.OK, err
    plan = plan_from_yaml((project / "migrations" / "plan.yaml").read_text(), Plugins.load().operations(), CLICKHOUSE)
    assert tuple(type(op).__name__ for op in plan.operations) == scenario.expect
    assert err.count("  x ") == scenario.blocked, err

    code, out, err = cli(project, "migrate", "--clickhouse-url", url, capsys=capsys)
    assert code == ExitCode.OK, err

    config = Config(clickhouse_config=ClickHouseConfig(url=url, db_name=database))
    target = collect_project(project, default_database=database)
    with ClickHouseBackend.from_config(config) as backend:
        reality = reconcile(None, backend.introspect(), target)
    if not scenario.blocked:
        assert same_state(reality, target, CLICKHOUSE), json.dumps([t.name for t in reality.tables.values()])

    code, out, err = cli(project, "plan", "--clickhouse-url", url, "--exit-code", capsys=capsys)
    assert code == ExitCode.OK, out + err
