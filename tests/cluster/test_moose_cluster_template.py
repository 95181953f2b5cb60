"""A Moose project in cluster mode (``OlapConfig(cluster=…)``, Replicated engines with and without Keeper
arguments, a table outside any cluster, an additional database, two clusters in ``moose.config.toml``) runs on
muskox unchanged: it collects to the map moose-cli 0.6.533 wrote for it, and ``generate migration`` against the
real three-node cluster writes the operations moose-cli wrote (``tests/fixtures/moose-cli-0.6.533/cluster-mode``,
produced by the released binary from ``tests/fixtures/moose_projects/sharded_analytics``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import attrs

from muskox.declare import collect_project
from muskox.files.plan_yaml import plan_from_yaml
from muskox.model.codec import model_codec
from muskox.model.operations import BUILTIN_OPERATIONS, CreateTable, Operation
from muskox.model.table import Table
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.testing_cluster import ClickHouseCluster
from tests.conftest import CliRunner
from tests.core.test_declare_collect import SERVER_DEFAULT_SETTINGS, _declared_part
from tests.moose_projects import project

MOOSE = Path(__file__).parents[1] / "fixtures" / "moose-cli-0.6.533" / "cluster-mode"
TEMPLATE = project("sharded_analytics")


def by_name(operations: tuple[Operation, ...]) -> dict[str, Table]:
    """The tables the plan creates, by name, without the settings the server reports for every MergeTree table
    (Moose copies them into its plan; muskox does not declare them)."""
    created: dict[str, Table] = {}
    for op in operations:
        assert isinstance(op, CreateTable), op
        settings = {k: v for k, v in op.table.settings.items() if k not in SERVER_DEFAULT_SETTINGS}
        created[op.table.name] = attrs.evolve(op.table, settings=settings)
    return created


def test_the_cluster_template_collects_to_moose_map() -> None:
    import pydantic  # noqa: F401 - the project declares pydantic models

    collected = model_codec(CLICKHOUSE).to_json(collect_project(TEMPLATE.path, default_database=TEMPLATE.db_name))
    expected = json.loads((MOOSE / "local_infra_map.json").read_text())
    assert _declared_part(collected) == _declared_part(expected)
    clusters = {key: table.get("cluster_name") for key, table in collected["tables"].items()}
    assert clusters == {"local_page_views": "muskox_test", "local_sites": "muskox_replicas",
                        "billing_invoices": "muskox_test", "local_import_batches": None, "local_audit_log": None}


def test_generate_migration_on_the_cluster_writes_moose_operations(clickhouse_cluster: ClickHouseCluster,
                                                                  run_muskox: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / TEMPLATE.name
    shutil.copytree(TEMPLATE.path, root)
    url = f"{clickhouse_cluster.node(2).http_url}/{TEMPLATE.db_name}"
    done = run_muskox("generate", "migration", "--clickhouse-url", url, "--save", "--yes-all", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr

    written = plan_from_yaml((root / "migrations" / "plan.yaml").read_text(), BUILTIN_OPERATIONS, CLICKHOUSE)
    moose = plan_from_yaml((MOOSE / "plan.yaml").read_text(), BUILTIN_OPERATIONS, CLICKHOUSE)

    assert by_name(written.operations) == by_name(moose.operations)
    assert {name: table.cluster for name, table in by_name(written.operations).items()} == {
        "page_views": "muskox_test", "sites": "muskox_replicas", "invoices": "muskox_test", "import_batches": None,
        "audit_log": None}

    sql = run_muskox("plan", "--sql", "--clickhouse-url", url, cwd=root)
    assert sql.returncode == 0, sql.stdout + sql.stderr
    on_cluster = dict(re.findall(
        r"^CREATE TABLE IF NOT EXISTS `\w+`\.`(\w+)`(?: ON CLUSTER `(\w+)`)?", sql.stdout, re.MULTILINE))
    assert on_cluster == {"page_views": "muskox_test", "sites": "muskox_replicas", "invoices": "muskox_test",
                          "import_batches": "", "audit_log": ""}, sql.stdout
