"""End to end: one project, two tenants, two state stores (acme in Redis, globex in PostgreSQL). Eight
``muskox migrate`` processes per tenant, all at once, apply each tenant's plan exactly once; an audit plugin's
lifecycle hooks see every statement of the run that applied it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from muskox.config import load_config
from muskox.exit_codes import ExitCode
from muskox.plugin.manager import Plugins
from muskox.testing.redis import RedisServer
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer
from muskox_state_postgres.testing import PostgresServer

PROCESSES = 8
TABLES = 6
MAIN = """
from datetime import datetime
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]
    ts: datetime
    v: int

""" + "".join(f't{i} = OlapTable[Row]("t{i}", OlapConfig(order_by_fields=["id"]))\n' for i in range(TABLES))

AUDIT_PLUGIN = '''
import json, os, threading
from muskox import hookimpl

_lock = threading.Lock()


def _write(record):
    with _lock, open(os.environ["AUDIT_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\\n")


@hookimpl
def muskox_apply_started(run):
    _write({"event": "started", "tenant": run.tenant, "label": run.label, "operations": len(run.operations)})


@hookimpl
def muskox_operation_applied(run, event):
    _write({"event": "operation", "tenant": run.tenant, "index": event.index, "outcome": event.outcome,
            "statements": list(event.statements), "seconds": event.seconds})


@hookimpl
def muskox_apply_finished(run, result):
    _write({"event": "finished", "tenant": run.tenant, "outcome": result.outcome})
'''


def install_audit_plugin(site: Path) -> None:
    """A distribution as pip would leave it: the module and its dist-info with the entry point."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "audit_sample.py").write_text(AUDIT_PLUGIN)
    info = site / "audit_sample-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: audit-sample\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[muskox]\naudit_sample = audit_sample\n")


def environment(site: Path, audit: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUSKOX_", "MOOSE_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))
    env["AUDIT_LOG"] = str(audit)
    return env


def muskox(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "muskox", "--project", str(project), *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def project(tmp_path: Path, clickhouse_server: RunningServer, redis_server: RedisServer,
            postgres_server: PostgresServer) -> Path:
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
        for database in ("pg_e2e_acme", "pg_e2e_globex"):
            admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "main.py").write_text(MAIN)
    (project / "muskox.toml").write_text(f"""
[clickhouse_config]
url = "{clickhouse_server.http_url}/default"

[tenants.acme.clickhouse_config]
url = "{clickhouse_server.http_url}/pg_e2e_acme"
[tenants.acme.migration_config]
dir = "migrations/acme"
[tenants.acme.state_config]
storage = "redis"
[tenants.acme.redis_config]
url = "{redis_server.url}"
key_prefix = "pg_e2e_acme"
last_key_prefix = "pg_e2e_acme"

[tenants.globex.clickhouse_config]
url = "{clickhouse_server.http_url}/pg_e2e_globex"
[tenants.globex.migration_config]
dir = "migrations/globex"
[tenants.globex.state_config]
storage = "postgres"
[tenants.globex.postgres_state_config]
url = "{postgres_server.url()}"
namespace = "pg_e2e_globex"
""")
    return project


def test_two_tenants_two_stores_eight_migrates_each_apply_once(project: Path, tmp_path: Path,
                                                               clickhouse_server: RunningServer) -> None:
    site, audit = tmp_path / "site", tmp_path / "audit.jsonl"
    install_audit_plugin(site)
    env = environment(site, audit)
    tenants = ("acme", "globex")
    for tenant in tenants:
        generated = muskox(project, env, "--tenant", tenant, "generate", "migration", "--save")
        assert generated.returncode == 0, generated.stderr
    expected_sql = {}
    for tenant in tenants:
        shown = muskox(project, env, "--tenant", tenant, "plan", "--json", "--sql")
        assert shown.returncode == 0, shown.stderr
        statements = json.loads(shown.stdout)["statements"]
        # a CREATE DATABASE sent "only when missing" goes with every operation, and plan --sql prints it once
        once = {s["sql"] for s in statements if s["only_if_missing"]}
        expected_sql[tenant] = (once, sorted(s["sql"] for s in statements if not s["only_if_missing"]))
        assert len(expected_sql[tenant][1]) == TABLES

    logs = {(tenant, n): tmp_path / f"{tenant}-{n}.log" for tenant in tenants for n in range(PROCESSES)}
    processes = {}
    for (tenant, n), log in logs.items():
        with log.open("wb") as out:
            processes[(tenant, n)] = subprocess.Popen(
                [sys.executable, "-m", "muskox", "--project", str(project), "--tenant", tenant, "migrate"],
                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    codes = {key: process.wait(timeout=600) for key, process in processes.items()}
    for tenant in tenants:
        results = [(codes[(tenant, n)], logs[(tenant, n)].read_text(errors="replace")) for n in range(PROCESSES)]
        applied = [text for code, text in results if code == ExitCode.OK and f"Applied {TABLES} operation(s)" in text]
        others = [(code, text) for code, text in results if not (code == 0 and f"Applied {TABLES}" in text)]
        assert len(applied) == 1, [text[-400:] for _, text in results]
        for code, text in others:
            assert (code == ExitCode.OK and "was already applied - nothing to do" in text) or \
                (code == ExitCode.LOCK_HELD and "Migration already in progress" in text), text[-400:]

    plugins = Plugins.load()
    for tenant, store_name in (("acme", "redis"), ("globex", "postgres")):
        config = load_config(project, tenant=tenant, sections=plugins.config_sections(), env={})
        assert config.state_config.storage == store_name
        with plugins.state_store(store_name).from_config(config, dialect=CLICKHOUSE) as store:
            finished = [r for r in store.applied_migrations() if r.startswith("plan:") and "@" not in r
                        and "#" not in r]
            assert len(finished) == 1, store.applied_migrations()
            state = store.load_state()
            assert state is not None and len(state.tables) == TABLES
            entries = [json.loads(entry) for entry in store.history()]
            assert [e["outcome"] for e in entries].count("applied") == 1
        with connect(parse_url(clickhouse_server.http_url), use_database=False) as admin:
            count = admin.query(f"SELECT count() FROM system.tables WHERE database = 'pg_e2e_{tenant}'")
            assert int(count[0][0]) == TABLES

    records = [json.loads(line) for line in audit.read_text().splitlines()]
    for tenant in tenants:
        mine = [r for r in records if r["tenant"] == tenant]
        assert [r["event"] for r in mine if r["event"] != "operation"] == ["started", "finished"]
        assert mine[-1]["outcome"] == "applied"
        operations = sorted((r for r in mine if r["event"] == "operation"), key=lambda r: r["index"])
        assert [r["index"] for r in operations] == list(range(1, TABLES + 1))
        assert all(r["outcome"] == "ok" for r in operations)
        sent = [sql for r in operations for sql in r["statements"]]
        once, each = expected_sql[tenant]
        assert sorted(sql for sql in sent if sql not in once) == each
        assert {sql for sql in sent if sql in once} == once
