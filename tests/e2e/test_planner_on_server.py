"""The planner's property on a real server: for random schemas A and B, applying plan(A → B) to a database
holding A leaves it holding B (normalized), and planning again finds nothing to do."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from muskox.apply.drift import same_state
from muskox.apply.executor import execute
from muskox.config import ClickHouseConfig, Config
from muskox.model.infra_map import InfraMap
from muskox.model.operations import CreateTable
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.approvals import Approvals
from muskox.plan.reconcile import reconcile
from muskox.testing.strategies import schema_pairs
from muskox_clickhouse import ClickHouseBackend
from muskox_clickhouse.dialect import CLICKHOUSE
from muskox_clickhouse.local import RunningServer

YES = Approvals(yes_all=True, yes_destructive=True, yes_rename=True)
_numbers = itertools.count()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(pair=schema_pairs(default_database="placeholder"))
def test_plan_applied_on_the_server_reaches_b(clickhouse_server: RunningServer,
                                             pair: tuple[InfraMap, InfraMap]) -> None:
    database = f"pp_{next(_numbers)}"
    before = InfraMap.of(database, pair[0].tables.values())
    after = InfraMap.of(database, pair[1].tables.values())
    config = Config(clickhouse_config=ClickHouseConfig(url=f"{clickhouse_server.http_url}/{database}",
                                                       db_name=database))
    with ClickHouseBackend.from_config(config) as backend:
        try:
            setup = execute([CreateTable(table=t) for t in before.tables.values()], backend.apply)
            assert setup.ok, setup.failed
            current = reconcile(before, backend.introspect(), after)
            plan = make_plan(PlanRequest(current=current, target=after, approvals=YES, dialect=CLICKHOUSE))
            report = execute(plan.operations, backend.apply)
            assert report.ok, [(plan.operations[f.index].describe(), str(f.error)) for f in report.failed]
            reality = reconcile(current, backend.introspect(), after)
            assert same_state(reality, after, CLICKHOUSE)
            assert make_plan(PlanRequest(current=reality, target=after, approvals=YES, dialect=CLICKHOUSE)).empty
        finally:
            backend.client.command(f"DROP DATABASE IF EXISTS `{database}`")
