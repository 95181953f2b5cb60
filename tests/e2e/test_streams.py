"""Streams end to end: tables and topics planned, applied and drift-checked together, through the real CLI
(in-process) against the real ClickHouse and a real Kafka-protocol broker (tansu).

Each test uses its own database and its own ``redpanda_config.namespace``, so the shared broker's topics never
mix between tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

from muskox.cli.main import run
from muskox.exit_codes import ExitCode
from muskox.files.delta import load_migrations
from muskox.files.plan_yaml import plan_from_yaml
from muskox.plugin.manager import Plugins
from muskox.testing.kafka import KafkaBroker
from muskox.testing.processes import free_port
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer

HEADER = """\
from datetime import datetime

from pydantic import BaseModel

from muskox import Key, LifeCycle, OlapConfig, OlapTable, Stream, StreamConfig


class Event(BaseModel):
    id: Key[str]
    ts: datetime
"""


def table(name: str) -> str:
    return f'{name} = OlapTable[Event]("{name}", OlapConfig(order_by_fields=["id"]))\n'


def stream(name: str, **config: Any) -> str:
    args = ", ".join(f"{k}={v!r}" if not str(v).startswith("LifeCycle.") else f"{k}={v}" for k, v in config.items())
    return f'{name}_stream = Stream[Event]("{name}", StreamConfig({args}))\n'


class Project:
    """A project directory, its database and namespace, and the CLI run in-process against both servers."""

    def __init__(self, root: Path, name: str, clickhouse: RunningServer, broker: KafkaBroker,
                 capsys: pytest.CaptureFixture[str], deltas: bool = False) -> None:
        self.root = root
        self.namespace = f"ns_{name}"
        self.url = f"{clickhouse.http_url}/st_{name}"
        self.broker = broker
        self.capsys = capsys
        root.mkdir(parents=True, exist_ok=True)
        features = "[features]\nmigrate_with_deltas = true\n" if deltas else ""
        (root / "muskox.toml").write_text(
            f'[clickhouse_config]\ndb_name = "st_{name}"\n[state_config]\nstorage = "file"\n'
            f'[redpanda_config]\nnamespace = "{self.namespace}"\n{features}')

    def code(self, body: str) -> None:
        (self.root / "app").mkdir(exist_ok=True)
        (self.root / "app" / "main.py").write_text(HEADER + body)

    def cli(self, *args: str) -> tuple[int, str, str]:
        code = run(["--project", str(self.root), *args, "--clickhouse-url", self.url,
                    "--kafka-url", self.broker.kafka_url])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, *args: str) -> str:
        code, out, err = self.cli(*args)
        assert code == ExitCode.OK, out + err
        return out + err

    def generate(self, *flags: str) -> list[str]:
        self.ok("generate", "migration", "--save", *flags)
        path = self.root / "migrations" / "plan.yaml"
        return [type(op).__name__ for op in plan_from_yaml(path.read_text(), Plugins.load().operations(),
                                                           CLICKHOUSE).operations]

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}"


@pytest.fixture
def admin(kafka_broker: KafkaBroker) -> Iterator[AdminClient]:
    yield AdminClient({"bootstrap.servers": kafka_broker.bootstrap_servers, "log_level": 0})


def describe(admin: AdminClient, topic: str) -> tuple[int, dict[str, str]]:
    """Partitions and the configuration values of ``topic`` on the broker."""
    partitions = len(admin.list_topics(timeout=10).topics[topic].partitions)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=10)
    return partitions, {k: e.value for k, e in entries.items()}


def topics(admin: AdminClient, prefix: str) -> list[str]:
    return sorted(t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix + "."))


def alter(admin: AdminClient, topic: str, key: str, value: str) -> None:
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([resource])[resource].result(timeout=10)


def make(tmp_path: Path, name: str, clickhouse_server: RunningServer, kafka_broker: KafkaBroker,
         capsys: pytest.CaptureFixture[str], deltas: bool = False) -> Project:
    return Project(tmp_path / name, name, clickhouse_server, kafka_broker, capsys, deltas)


def test_tables_and_streams_generate_migrate_and_plan_empty(
        clickhouse_server: RunningServer, kafka_broker: KafkaBroker, admin: AdminClient, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    project = make(tmp_path, "flow", clickhouse_server, kafka_broker, capsys)
    project.code(table("events") + stream("events", parallelism=3, retention_period=3600)
                 + stream("audit", version="1.0", configs={"cleanup.policy": "compact",
                                                           "max.message.bytes": "2000000"}))
    assert project.generate() == ["CreateTable", "CreateTopic", "CreateTopic"]
    assert "plan.yaml (3 operation(s))" in project.ok("migrate", "--validate")
    plan_text = (project.root / "migrations" / "plan.yaml").read_text()
    assert f"name: {project.namespace}.audit_1_0" in plan_text
    assert "partition_count: 3" in plan_text

    output = project.ok("migrate")
    assert re.search(r"\[3/3\] Creating topic 'ns_flow.events' \(3 partition\(s\)\)", output), output
    assert topics(admin, project.namespace) == ["ns_flow.audit_1_0", "ns_flow.events"]
    partitions, configs = describe(admin, project.topic("events"))
    assert partitions == 3 and configs["retention.ms"] == "3600000"
    partitions, configs = describe(admin, project.topic("audit_1_0"))
    assert partitions == 1
    assert configs["cleanup.policy"] == "compact" and configs["max.message.bytes"] == "2000000"
    assert configs["retention.ms"] == "604800000"

    code, out, err = project.cli("plan", "--exit-code")
    assert code == ExitCode.OK, out + err
    code, out, _ = project.cli("plan", "--json")
    report = json.loads(out)
    assert report["operations"] == [] and sorted(report["target_infra_map"]["topics"]) == [
        "ns_flow.audit_1_0", "ns_flow.events"]

    # a configuration change: one ModifyTopicConfig, applied incrementally
    project.code(table("events") + stream("events", parallelism=3, retention_period=7200,
                                          configs={"cleanup.policy": "compact"})
                 + stream("audit", version="1.0", configs={"max.message.bytes": "2000000"}))
    code, out, err = project.cli("plan", "--json")
    assert json.loads(out)["operations"][1] == {"ModifyTopicConfig": {
        "topic": "ns_flow.events", "before_configs": {"retention.ms": "3600000"},
        "after_configs": {"retention.ms": "7200000", "cleanup.policy": "compact"}}}
    code, out, err = project.cli("plan")
    assert "~ [1] Modifying config of topic 'ns_flow.audit_1_0' (cleanup.policy)" in out, out
    assert "~ [2] Modifying config of topic 'ns_flow.events' (cleanup.policy, retention.ms)" in out, out
    assert project.generate() == ["ModifyTopicConfig", "ModifyTopicConfig"]
    project.ok("migrate")
    _, configs = describe(admin, project.topic("events"))
    assert configs["retention.ms"] == "7200000" and configs["cleanup.policy"] == "compact"
    _, configs = describe(admin, project.topic("audit_1_0"))
    assert configs.get("cleanup.policy", "delete") == "delete"  # deleted: back to the default
    assert project.cli("plan", "--exit-code")[0] == ExitCode.OK

    # dropping a stream is destructive: refused without approval, then applied
    project.code(table("events") + stream("events", parallelism=3, retention_period=7200,
                                          configs={"cleanup.policy": "compact"}))
    code, out, err = project.cli("generate", "migration", "--save")
    assert code == ExitCode.DESTRUCTIVE_REFUSED, out + err
    assert "DROP TOPIC ns_flow.audit_1_0" in err
    assert project.generate("--yes-destructive") == ["DropTopic"]
    project.ok("migrate")
    assert topics(admin, project.namespace) == ["ns_flow.events"]
    assert project.cli("plan", "--exit-code")[0] == ExitCode.OK


def test_lifecycle_rules_protect_topics(clickhouse_server: RunningServer, kafka_broker: KafkaBroker,
                                        admin: AdminClient, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    project = make(tmp_path, "life", clickhouse_server, kafka_broker, capsys)
    project.code(stream("kept", life_cycle="LifeCycle.DELETION_PROTECTED")
                 + stream("theirs", life_cycle="LifeCycle.EXTERNALLY_MANAGED"))
    assert project.generate() == ["CreateTopic"]
    assert "Topic 'ns_life.theirs' is EXTERNALLY_MANAGED - CREATE blocked" in project.ok("plan")
    project.ok("migrate")
    assert topics(admin, project.namespace) == ["ns_life.kept"]

    project.code(stream("kept", parallelism=1, retention_period=60, life_cycle="LifeCycle.DELETION_PROTECTED"))
    assert project.generate() == ["ModifyTopicConfig"]  # a protected topic is still updated
    project.ok("migrate")

    project.code("")
    assert project.generate("--yes-all") == []
    output = project.ok("plan")
    assert "Topic 'ns_life.kept' is DELETION_PROTECTED - DROP blocked" in output
    project.ok("migrate")
    assert topics(admin, project.namespace) == ["ns_life.kept"]
    assert describe(admin, project.topic("kept"))[1]["retention.ms"] == "60000"


def test_out_of_band_topic_change_is_drift(clickhouse_server: RunningServer, kafka_broker: KafkaBroker,
                                           admin: AdminClient, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    project = make(tmp_path, "drift", clickhouse_server, kafka_broker, capsys)
    project.code(table("events") + stream("events", retention_period=3600))
    project.generate()
    project.ok("migrate")

    project.code(table("events") + table("more") + stream("events", retention_period=3600))
    assert project.generate() == ["CreateTable"]
    alter(admin, project.topic("events"), "retention.ms", "5000")

    code, out, err = project.cli("migrate")
    assert code == ExitCode.DRIFT, out + err
    assert "the database changed since the migration plan was generated" in err
    assert "~ topic ns_drift.events: retention.ms 3600000 → 5000" in err
    code, out, err = project.cli("plan")
    assert "~ [2] Modifying config of topic 'ns_drift.events' (retention.ms)" in out  # nothing was executed
    assert "+ [1] Creating table 'more'" in out


def test_a_refused_partition_increase_stops_cleanly(clickhouse_server: RunningServer, kafka_broker: KafkaBroker,
                                                    admin: AdminClient, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """tansu has no CreatePartitions: one clean error, nothing after it runs, the report says what ran."""
    project = make(tmp_path, "grow", clickhouse_server, kafka_broker, capsys)
    project.code(table("events") + stream("events", retention_period=3600))
    project.generate()
    project.ok("migrate")

    project.code(table("events") + table("more") + stream("events", parallelism=3, retention_period=60)
                 + stream("zz_later"))
    assert project.generate() == ["CreateTable", "IncreaseTopicPartitions", "ModifyTopicConfig", "CreateTopic"]
    code, out, err = project.cli("migrate")
    assert code == ExitCode.APPLY_FAILED, out + err
    assert "Migration failed: 1 of 4 operation(s) succeeded, 1 failed, 2 not run." in err
    assert "  ✓ [1/4] Creating table 'more'" in err
    (failed,) = [line for line in err.splitlines() if line.startswith("  ✗ ")]
    assert failed.startswith("  ✗ [2/4] Increasing partitions of topic 'ns_grow.events' from 1 to 3: the Kafka "
                             "broker refused to grow topic 'ns_grow.events' to 3 partitions (_UNSUPPORTED_FEATURE: ")
    assert "  · [3/4] Modifying config of topic 'ns_grow.events' (retention.ms) (not run)" in err
    assert "  · [4/4] Creating topic 'ns_grow.zz_later' (1 partition(s)) (not run)" in err
    assert "Traceback" not in err
    partitions, configs = describe(admin, project.topic("events"))
    assert (partitions, configs["retention.ms"]) == (1, "3600000")  # nothing half-applied
    assert topics(admin, project.namespace) == ["ns_grow.events"]


def test_fewer_partitions_is_a_planning_error(clickhouse_server: RunningServer, kafka_broker: KafkaBroker,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make(tmp_path, "shrink", clickhouse_server, kafka_broker, capsys)
    project.code(stream("events", parallelism=2))
    project.generate()
    project.ok("migrate")
    project.code(stream("events", parallelism=1))
    code, _out, err = project.cli("plan")
    assert code == ExitCode.PLAN_INVALID
    assert ("topic 'ns_shrink.events': Kafka cannot reduce partitions from 2 to 1: recreate the topic under a new "
            "version") in err


def test_delta_mode_files_carry_topics(clickhouse_server: RunningServer, kafka_broker: KafkaBroker,
                                       admin: AdminClient, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    project = make(tmp_path, "delta", clickhouse_server, kafka_broker, capsys, deltas=True)
    project.code(table("events") + stream("events", parallelism=2))
    project.ok("generate", "migration", "--save")
    project.code(table("events") + stream("events", parallelism=2, retention_period=60))
    project.ok("generate", "migration", "--save")
    first, second = load_migrations(project.root / "migrations", CLICKHOUSE)
    assert [d.TYPE for d in first.deltas] == ["CreateTable", "CreateTopic"]
    assert [d.TYPE for d in second.deltas] == ["ModifyTopicConfig"]

    project.ok("migrate")
    assert describe(admin, project.topic("events"))[0] == 2
    assert describe(admin, project.topic("events"))[1]["retention.ms"] == "60000"
    assert project.cli("plan", "--exit-code")[0] == ExitCode.OK

    project.code(table("events") + stream("events", parallelism=2, retention_period=120))
    project.ok("generate", "migration", "--save")
    alter(admin, project.topic("events"), "retention.ms", "5000")
    code, out, err = project.cli("migrate")
    assert code == ExitCode.DRIFT, out + err
    assert "Topics:" in err and "~ topic ns_delta.events: retention.ms 60000 → 5000" in err


def test_a_project_without_streams_never_contacts_the_broker(clickhouse_server: RunningServer,
                                                             tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "nostreams"
    root.mkdir()
    (root / "muskox.toml").write_text('[clickhouse_config]\ndb_name = "st_nostreams"\n'
                                      '[state_config]\nstorage = "file"\n')
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text(HEADER + table("events"))
    dead = f"kafka://127.0.0.1:{free_port()}"
    url = f"{clickhouse_server.http_url}/st_nostreams"
    for args in (("generate", "migration", "--save"), ("migrate",), ("plan", "--exit-code")):
        code = run(["--project", str(root), *args, "--clickhouse-url", url, "--kafka-url", dead])
        assert code == ExitCode.OK, capsys.readouterr()


def test_an_unreachable_broker_is_one_line_without_the_password(clickhouse_server: RunningServer, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "deadbroker"
    root.mkdir()
    (root / "muskox.toml").write_text('[clickhouse_config]\ndb_name = "st_deadbroker"\n'
                                      '[state_config]\nstorage = "file"\n')
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text(HEADER + stream("events"))
    port = free_port()
    url = f"{clickhouse_server.http_url}/st_deadbroker"
    code = run(["--project", str(root), "plan", "--clickhouse-url", url,
                "--kafka-url", f"kafka://alice:S3cr3tPw@127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert code == ExitCode.CONNECTION, err
    assert f"cannot reach Kafka broker kafka://alice:****@127.0.0.1:{port}" in err
    assert "S3cr3tPw" not in err
    code = run(["--project", str(root), "plan", "--clickhouse-url", url, "--kafka-url", "kafka://bob:pw@h/x"])
    err = capsys.readouterr().err
    assert code == ExitCode.CONFIG and "pw@" not in err and "a path ('/x') is not allowed" in err
