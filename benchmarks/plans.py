"""The statements a saved plan runs, for the benchmarks' floors (a plain loop sending the same SQL)."""

from __future__ import annotations

from pathlib import Path


def planned_statements(project: Path, database: str, *, per_node: bool = False) -> list[str]:
    """The SQL of ``migrations/plan.yaml`` as the ClickHouse backend renders it; with ``per_node``, what each node
    of a ``per_node`` cluster runs (the statements without ``ON CLUSTER``)."""
    from muskox.files.plan_yaml import plan_from_yaml
    from muskox.model.operations import BUILTIN_OPERATIONS
    from muskox_clickhouse.alter import render_operation
    from muskox_clickhouse.cluster.statements import for_node
    from muskox_clickhouse.dialect import CLICKHOUSE

    plan = plan_from_yaml((project / "migrations" / "plan.yaml").read_text(), BUILTIN_OPERATIONS, CLICKHOUSE)
    operations = [for_node(operation) for operation in plan.operations] if per_node else plan.operations
    return [sql for operation in operations for sql in render_operation(operation, database)]
