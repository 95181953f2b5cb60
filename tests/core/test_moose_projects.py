"""Moose projects collect unchanged: ``from moose_lib import …`` resolves to muskox's compatible API while muskox
imports a project, and nowhere else; each fixture project declares what its code says, in Moose's encoding."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest

from muskox.declare import DeclarationError, collect_project
from muskox.files.snapshot import infra_map_from_text, infra_map_to_text
from muskox.model.codec import model_codec
from muskox.model.engines import IntegrationEngine, mask_settings
from muskox.model.infra_map import InfraMap
from muskox.model.recorded import RecordedStatus
from muskox.model.table import Table
from muskox_clickhouse.dialect import CLICKHOUSE
from tests.keys import moose_keys
from tests.moose_projects import PROJECTS, MooseProject, project

to_json = model_codec(CLICKHOUSE).to_json

HERE = [p for p in PROJECTS if p.runs_here]


def collect(p: MooseProject) -> InfraMap:
    import pydantic  # noqa: F401 - the projects declare pydantic models

    return collect_project(p.path, default_database=p.db_name)


def summary(infra: InfraMap) -> dict[str, Any]:
    """What a project declares, by kind and name (tables by physical name, with their database)."""
    return {
        "tables": sorted(f"{t.database or infra.default_database}.{t.name}" for t in infra.tables.values()),
        "topics": sorted(infra.topics),
        "views": sorted(v.name for v in infra.views.values()),
        "materialized_views": sorted(m.name for m in infra.materialized_views.values()),
        "recorded": sorted(f"{r.kind}: {r.name}" for r in infra.recorded.values()),
    }


EXPECTED: dict[str, dict[str, Any]] = {
    "foo_bar_pipelines": {
        "tables": ["local.Bar", "local.bar_aggregated", "local.foo_workflow"],
        "topics": ["Bar", "BarDeadLetterQueue", "Foo", "FooDeadLetterQueue"],
        "views": [], "materialized_views": ["bar_aggregated_mv"],
        "recorded": ["consumption API: bar", "ingest API: ingest/Foo", "workflow: generator"],
    },
    "web_analytics": {
        "tables": ["analytics.page_views", "analytics.sessions", "analytics.users"], "topics": [],
        "views": ["top_pages"], "materialized_views": [], "recorded": ["consumption API: analytics/top/1"],
    },
    "aggregations": {
        "tables": ["local.balances", "local.daily_customer_stats", "local.daily_revenue", "local.orders",
                   "local.versioned_balances"], "topics": [],
        "views": ["customer_summary"], "materialized_views": ["daily_customer_stats_mv", "daily_revenue_mv"],
        "recorded": [],
    },
    "multi_database": {
        "tables": ["marts.events_per_day", "raw.customers_1_0", "raw.customers_2_0", "raw.events", "raw.ledger"],
        "topics": [], "views": ["active_customers", "daily_totals"], "materialized_views": ["events_per_day_mv"],
        "recorded": [],
    },
    "geo_and_json": {"tables": ["local.places"], "topics": [], "views": [], "materialized_views": [],
                     "recorded": []},
    "webapp_and_workflows": {
        "tables": ["local.daily_signups", "local.signups"], "topics": [], "views": [], "materialized_views": [],
        "recorded": ["consumption API: signups_by_source/2.1", "web app: dashboard", "workflow: nightly"],
    },
    "kafka_s3_integrations": {
        "tables": ["local.archive", "local.clicks", "local.clicks_all", "local.clicks_buffer", "local.clicks_merged",
                   "local.clicks_queue", "local.lake", "local.landing"],
        "topics": [], "views": [], "materialized_views": ["clicks_from_kafka"], "recorded": [],
    },
    "dictionaries_and_sql": {
        "tables": ["local.countries", "local.products"], "topics": [], "views": [], "materialized_views": [],
        "recorded": [],
    },
    "clickstream_lake": {
        "tables": ["local.clicks", "local.clicks_archive", "local.clicks_buffer", "local.clicks_everywhere"],
        "topics": [], "views": ["recent_urls"], "materialized_views": [], "recorded": [],
    },
    "py312_type_aliases": {"tables": ["local.visits"], "topics": [], "views": [], "materialized_views": [],
                           "recorded": []},
    "sharded_analytics": {
        "tables": ["billing.invoices", "local.audit_log", "local.import_batches", "local.page_views", "local.sites"],
        "topics": [], "views": [], "materialized_views": [], "recorded": [],
    },
}


@pytest.mark.parametrize("p", HERE, ids=lambda p: p.name)
def test_each_project_collects_what_it_declares(p: MooseProject) -> None:
    assert summary(collect(p)) == EXPECTED[p.name]


@pytest.mark.parametrize("p", PROJECTS, ids=lambda p: p.name)
def test_projects_import_moose_lib_not_muskox(p: MooseProject) -> None:
    sources = [f.read_text() for f in p.path.rglob("*.py")]
    assert any("moose_lib" in s for s in sources)
    assert not any(re.search(r"^\s*(from|import)\s+muskox", s, re.MULTILINE) for s in sources)


@pytest.mark.parametrize("p", HERE, ids=lambda p: p.name)
def test_the_infra_map_reads_back_unchanged(p: MooseProject) -> None:
    """local_infra_map.json carries the recorded declarations and reads back to the same map."""
    infra = collect(p)
    text = infra_map_to_text(infra, CLICKHOUSE)
    assert infra_map_from_text(text, "local_infra_map.json", CLICKHOUSE) == credentials_hidden(infra)
    assert infra_map_to_text(infra_map_from_text(text, "local_infra_map.json", CLICKHOUSE), CLICKHOUSE) == text


def test_a_pipeline_gives_table_stream_dead_letter_queue_and_ingest_api_as_moose_names_them() -> None:
    infra = collect(project("foo_bar_pipelines"))
    encoded = to_json(infra)
    ingest = encoded["api_endpoints"]["INGRESS_Foo"]
    assert ingest["path"] == "ingest/Foo" and ingest["method"] == "POST"
    assert ingest["api_type"]["INGRESS"]["target_topic_id"] == "Foo"
    assert ingest["api_type"]["INGRESS"]["dead_letter_queue"] == "FooDeadLetterQueue"
    assert ingest["api_type"]["INGRESS"]["schema"]["required"] == ["primary_key", "timestamp", "baz"]
    egress = encoded["api_endpoints"]["EGRESS_bar"]
    assert [q["name"] for q in egress["api_type"]["EGRESS"]["query_params"]] == [
        "order_by", "limit", "start_day", "end_day"]
    assert egress["api_type"]["EGRESS"]["output_schema"]["title"] == "QueryResult"
    assert encoded["workflows"]["generator"]["config"] == {
        "name": "generator", "schedule": "", "retries": 3, "timeout": "30s", "tasks": None}
    assert "Foo" not in {t.name for t in infra.tables.values()}  # table=False
    assert all(r.status is RecordedStatus.SERVED_ELSEWHERE for r in infra.recorded.values())


def test_versioned_pipeline_parts_and_paths(tmp_path: Path) -> None:
    write(tmp_path, """
        from pydantic import BaseModel
        from moose_lib import IngestPipeline, IngestPipelineConfig, Key, LifeCycle, StreamConfig

        class Order(BaseModel):
            id: Key[str]

        orders = IngestPipeline[Order]("orders", IngestPipelineConfig(
            version="1.2", path="shop/orders", life_cycle=LifeCycle.DELETION_PROTECTED,
            dead_letter_queue=StreamConfig(parallelism=2)))
    """)
    infra = collect_project(tmp_path, default_database="db")
    table = infra.tables['"db"."orders_1_2"_1_2']
    assert table.name == "orders_1_2" and table.life_cycle.value == "DELETION_PROTECTED"
    assert infra.topics["orders_1_2"].life_cycle.value == "DELETION_PROTECTED"
    dead_letters = infra.topics["ordersDeadLetterQueue_1_2"]
    assert dead_letters.partitions == 2 and dead_letters.life_cycle.value == "FULLY_MANAGED"  # as Moose: not passed
    api = to_json(infra)["api_endpoints"]["INGRESS_orders_1_2"]
    assert api["path"] == "ingest/shop/orders/1.2" and api["version"] == "1.2"


def credentials_hidden(infra: InfraMap) -> InfraMap:
    """``infra`` as a file reads back: integration engines' credentials and secret settings as [HIDDEN]."""
    def hidden(table: Table) -> Table:
        engine = table.engine.masked() if isinstance(table.engine, IntegrationEngine) else table.engine
        return attrs.evolve(table, engine=engine, settings=mask_settings(table.settings))

    return attrs.evolve(infra, tables={k: hidden(t) for k, t in infra.tables.items()})


def test_integration_tables_and_recorded_objects_have_secrets_hidden() -> None:
    for name in ("kafka_s3_integrations", "dictionaries_and_sql"):
        infra = collect(project(name))
        text = infra_map_to_text(infra, CLICKHOUSE)
        for secret in ("very-secret", "AKIAEXAMPLE", "kafka-secret", "mysql-secret"):
            assert secret not in text
        assert all(r.status is RecordedStatus.NOT_YET for r in infra.recorded.values())
    assert not collect(project("kafka_s3_integrations")).recorded  # integration engines are applied now
    tables = to_json(collect(project("kafka_s3_integrations")))["tables"]
    assert tables["local_landing"]["engine"]["S3Queue"]["aws_secret_access_key"] == "[HIDDEN]"
    assert tables["local_landing"]["table_settings"]["mode"] == "unordered"
    assert tables["local_clicks_queue"]["engine"] == {"Kafka": {
        "broker_list": "kafka:9092", "topic_list": "clicks", "group_name": "clickhouse_clicks",
        "format": "JSONEachRow"}}
    assert tables["local_clicks_queue"]["table_settings"]["kafka_sasl_password"] == "[HIDDEN]"
    assert tables["local_clicks_queue"]["order_by"] == []


# -- moose_lib only while collecting ----------------------------------------------------------------------


def write(root: Path, main: str, **modules: str) -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "main.py").write_text(textwrap.dedent(main))
    for name, body in modules.items():
        (root / "app" / f"{name}.py").write_text(textwrap.dedent(body))
    return root


def test_moose_lib_is_not_importable_outside_collection() -> None:
    code = "import muskox.declare.collect\ntry:\n import moose_lib\nexcept ModuleNotFoundError:\n print('absent')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "absent"


def test_collection_wins_over_an_installed_moose_lib_which_is_restored_afterwards(tmp_path: Path) -> None:
    """A real moose-lib already imported is set aside while muskox collects, and is back afterwards."""
    fake = tmp_path / "site" / "moose_lib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("REAL = True\nclass OlapTable:\n    pass\n")
    project_dir = write(tmp_path / "project", """
        import moose_lib
        from pydantic import BaseModel
        from moose_lib import Key, OlapTable
        assert not hasattr(moose_lib, "REAL")

        class Row(BaseModel):
            id: Key[str]

        rows = OlapTable[Row]("rows")
    """)
    sys.path.insert(0, str(fake.parent))
    try:
        import moose_lib  # the "installed" one

        infra = collect_project(project_dir, default_database="db")
        assert sys.modules["moose_lib"] is moose_lib and moose_lib.REAL is True
        import moose_lib as again

        assert again is moose_lib
    finally:
        sys.path.remove(str(fake.parent))
        for name in [n for n in sys.modules if n == "moose_lib" or n.startswith("moose_lib.")]:
            del sys.modules[name]
    assert moose_keys(infra) == ["db_rows"]


def test_every_module_path_resolves(tmp_path: Path) -> None:
    write(tmp_path, """
        import moose_lib.dmv2.olap_table
        from moose_lib.dmv2 import OlapTable as A
        from moose_lib.dmv2.olap_table import OlapTable as B
        from moose_lib.blocks import MergeTreeEngine
        from moose_lib.data_models import Key
        from moose_lib.dmv2.stream import Stream
        from moose_lib.commons import Logger
        from moose_lib.secrets import moose_runtime_env
        from moose_lib.config.runtime import config_registry
        from moose_lib.clients.redis_client import MooseCache
        from moose_lib.utilities.sql import quote_identifier
        import muskox.declare.olap_table as real
        assert A is B is moose_lib.OlapTable is moose_lib.dmv2.olap_table.OlapTable is real.OlapTable
        assert moose_runtime_env.get("KEY") == "__MOOSE_RUNTIME_ENV__:KEY"
        assert quote_identifier("a b") == "`a b`"
    """)
    assert collect_project(tmp_path, default_database="db") == InfraMap(default_database="db")


@pytest.mark.parametrize(("main", "message"), [
    ("from moose_lib import NotAThing\n",
     r"^app/main\.py:1: moose_lib\.NotAThing is not provided by muskox, which follows moose-lib 0\.6\.533\. Fix:"),
    ("import moose_lib.dmv2\nx = 1\nmoose_lib.dmv2.Nope\n",
     r"^app/main\.py:3: moose_lib\.dmv2\.Nope is not provided by muskox"),
    ("from moose_lib.dmv2.nowhere import X\n", r"^app/main\.py:1: the module moose_lib\.dmv2\.nowhere is not provided"),
    ("from moose_lib import MooseClient\n\nMooseClient(None).query.execute('SELECT 1')\n",
     r"^app/main\.py:3: MooseClient\.query\.execute\(\) runs only in the application"),
    ("from moose_lib import OlapTable\nfrom pydantic import BaseModel\nclass R(BaseModel):\n    a: int\n"
     "OlapTable[R]('r').insert([])\n", r"^app/main\.py:5: OlapTable\.insert\(\) runs only in the application"),
])
def test_what_muskox_lacks_is_one_clear_line(tmp_path: Path, main: str, message: str) -> None:
    write(tmp_path, main)
    with pytest.raises(DeclarationError, match=message) as caught:
        collect_project(tmp_path, default_database="db")
    assert "\n" not in str(caught.value)


def test_try_except_import_error_still_works(tmp_path: Path) -> None:
    write(tmp_path, """
        try:
            from moose_lib import SomethingNewer
        except ImportError:
            SomethingNewer = None
        assert SomethingNewer is None
    """)
    collect_project(tmp_path, default_database="db")


def test_runtime_helpers_construct_and_do_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, """
        from moose_lib import Logger, cli_log, CliLogData, MooseClient, get_tables, get_table, Query, col, and_
        from moose_lib.dmv2 import get_streams, get_apis
        log = Logger(action="load")
        log.info("hello"); log.error("bad"); log.highlight("!")
        cli_log(CliLogData(action="a", message="m"))
        client = MooseClient(ch_client=None)
        q = Query().select(col("a")).where(and_(col("a").eq(1)))
        from pydantic import BaseModel
        from moose_lib import OlapTable, Key, OlapConfig
        class R(BaseModel):
            id: Key[str]
        r = OlapTable[R]("r", OlapConfig(version="2"))
        assert get_table("r_2") is r and list(get_tables()) == ["r_2"] and get_streams() == {} and get_apis() == {}
    """)
    collect_project(tmp_path, default_database="db")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_plan_lists_each_recorded_declaration_once() -> None:
    from muskox.cli.plan_output import plan_json, render_listing
    from muskox.plan.planner import PlanRequest, make_plan

    infra = collect(project("webapp_and_workflows"))
    result = make_plan(PlanRequest(current=InfraMap(default_database="local"), target=infra, dialect=CLICKHOUSE,
                                     gate=False))
    listing = render_listing(result, infra.recorded.values())
    for line in ("= workflow nightly: recorded, not applied by muskox", "= web app dashboard: recorded, not applied",
                 "= consumption API signups_by_source/2.1: recorded, not applied by muskox"):
        assert listing.count(line) == 1, listing
    assert [type(op).__name__ for op in result.operations] == ["CreateTable", "CreateTable"]
    report = json.loads(json.dumps(plan_json(result, infra, CLICKHOUSE)))
    assert {r["kind"] for r in report["recorded"]} == {"workflow", "web app", "consumption API"}

    phase_two = collect(project("dictionaries_and_sql"))
    request = PlanRequest(current=InfraMap(default_database="local"), target=phase_two, dialect=CLICKHOUSE, gate=False)
    listing = render_listing(make_plan(request), phase_two.recorded.values())
    assert listing.count("Creating dictionary 'dict_products'") == 1  # planned, not recorded
    assert sorted(phase_two.dictionaries) == ['"local"."dict_accounts"', '"local"."dict_countries"',
                                              '"local"."dict_products"']
    assert "muskox does not apply this kind yet" not in listing  # SQL resources and constraints are planned
    assert listing.count("Running setup SQL for resource 'category_counts'") == 1
    assert listing.index("Creating table 'products'") < listing.index("Running setup SQL for resource")
    assert to_json(phase_two)["tables"]["local_products"]["constraints"] == [
        {"name": "named", "expression": "length(product_name) > 0", "type": "CHECK"}]
    assert to_json(phase_two)["sql_resources"]["category_counts"]["pulls_data_from"] == [
        {"id": "products", "kind": "Table"}]
