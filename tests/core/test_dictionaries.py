"""Dictionaries in the core: the model and its file encoding, the differ, lowering, lifecycle, destructive gate,
fold, plan and delta files, secrets restored before running, explanations."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from muskox.apply.secrets import MissingSecret, restore_secrets
from muskox.files.plan_yaml import Plan, plan_from_yaml, plan_to_yaml
from muskox.model.codec import model_codec
from muskox.model.dictionary import Dictionary
from muskox.model.infra_map import InfraMap
from muskox.model.operations import BUILTIN_OPERATIONS, CreateDictionary, DropDictionary, ReplaceDictionary
from muskox.model.table import LifeCycle
from muskox.plan.changes import Recreated
from muskox.plan.differ import diff
from muskox.plan.explain import explain
from muskox.plan.fold import FoldError, fold
from muskox.plan.planner import PlanRequest, make_plan
from muskox.plan.policies.destructive import destructive_findings
from muskox.plan.policies.lifecycle import apply_lifecycle
from muskox_clickhouse.dialect import CLICKHOUSE


def encoding(name: str = "d", lifetime: int = 300, password: str | None = None,
             life_cycle: str = "FULLY_MANAGED") -> dict[str, Any]:
    source: dict[str, Any] = {"type": "TABLE", "table": "products", "database": None}
    if password is not None:
        source = {"type": "EXTERNAL", "externalSource": {"source_type": "MYSQL", "host": "h", "port": 3306,
                                                         "user": "u", "password": password, "db": "x",
                                                         "table": "t"}}
    return {"name": name, "database": None, "clusterName": None, "source": source, "primaryKey": ["id"],
            "columns": [{"name": "id", "typeString": "UInt64"}, {"name": "v", "typeString": "String"}],
            "layout": {"type": "HASHED"}, "lifetime": {"type": "SINGLE", "seconds": lifetime},
            "invalidateQuery": None, "settings": {}, "comment": None, "metadata": None, "lifeCycle": life_cycle}


def infra(*dictionaries: Dictionary) -> InfraMap:
    return InfraMap.of("db", dictionaries=dictionaries)


def test_encoding_round_trips_through_the_infra_map_file() -> None:
    codec = model_codec(CLICKHOUSE)
    d = attrs.evolve(Dictionary.from_encoding(encoding()), server_sql="CREATE DICTIONARY db.d (id UInt64)")
    written = codec.unstructure_infra_map(infra(d))
    assert written["olap_dictionaries"]["d"]["serverSql"].startswith("CREATE DICTIONARY")
    assert codec.structure_infra_map(written).dictionaries == infra(d).dictionaries


def test_added_changed_removed_become_create_replace_drop() -> None:
    old, new = Dictionary.from_encoding(encoding()), Dictionary.from_encoding(encoding(lifetime=600))
    assert [type(c).__name__ for c in diff(infra(old), infra(new), CLICKHOUSE)] == ["Recreated"]
    assert diff(infra(old), infra(Dictionary.from_encoding(encoding())), CLICKHOUSE) == []
    plan = make_plan(PlanRequest(current=infra(old), target=infra(new), dialect=CLICKHOUSE))
    assert [type(o) for o in plan.operations] == [ReplaceDictionary]
    assert plan.destructive == ()  # a replace loses no row of the source tables
    created = make_plan(PlanRequest(current=infra(), target=infra(new), dialect=CLICKHOUSE))
    assert [type(o) for o in created.operations] == [CreateDictionary]
    dropped = make_plan(PlanRequest(current=infra(old), target=infra(), dialect=CLICKHOUSE, gate=False))
    assert [type(o) for o in dropped.operations] == [DropDictionary]
    assert [f.description for f in dropped.destructive] == ["DROP DICTIONARY d"]


def test_metadata_and_lifecycle_are_not_differences() -> None:
    old = Dictionary.from_encoding(encoding())
    new = Dictionary.from_encoding({**encoding(life_cycle="DELETION_PROTECTED"), "metadata": {"description": "x"}})
    assert diff(infra(old), infra(new), CLICKHOUSE) == []


def test_server_statement_equal_to_the_code_is_no_change() -> None:
    code = Dictionary.from_encoding(encoding())
    server = attrs.evolve(code, server_sql=(
        "CREATE DICTIONARY db.d (`id` UInt64, `v` String) PRIMARY KEY id SOURCE(CLICKHOUSE(DB 'db' TABLE "
        "'products')) LIFETIME(300) LAYOUT(HASHED())"))
    assert diff(infra(server), infra(code), CLICKHOUSE) == []
    changed = attrs.evolve(server, server_sql=server.server_sql.replace("HASHED", "FLAT"))  # type: ignore[union-attr]
    assert [type(c) for c in diff(infra(changed), infra(code), CLICKHOUSE)] == [Recreated]


def test_lifecycle_rules() -> None:
    protected = Dictionary.from_encoding(encoding(life_cycle="DELETION_PROTECTED"))
    external = Dictionary.from_encoding(encoding(life_cycle="EXTERNALLY_MANAGED"))
    changed = Dictionary.from_encoding(encoding(lifetime=1, life_cycle="DELETION_PROTECTED"))
    allowed, blocked = apply_lifecycle(diff(infra(protected), infra(changed), CLICKHOUSE))
    assert len(allowed) == 1 and not blocked  # a replace drops nothing
    allowed, blocked = apply_lifecycle(diff(infra(protected), infra(), CLICKHOUSE))
    assert not allowed and "DELETION_PROTECTED - DROP blocked" in blocked[0].reason
    allowed, blocked = apply_lifecycle(diff(infra(), infra(external), CLICKHOUSE))
    assert not allowed and "EXTERNALLY_MANAGED" in blocked[0].reason
    external_changed = attrs.evolve(changed, life_cycle=LifeCycle.EXTERNALLY_MANAGED)
    allowed, blocked = apply_lifecycle(diff(infra(external), infra(external_changed), CLICKHOUSE))
    assert not allowed and "replace blocked" in blocked[0].reason
    assert destructive_findings(diff(infra(protected), infra(changed), CLICKHOUSE)) == []


def test_fold_and_its_preconditions() -> None:
    d = Dictionary.from_encoding(encoding())
    after = fold(infra(), [CreateDictionary(dictionary=d)])
    assert list(after.dictionaries.values()) == [d]
    replaced = Dictionary.from_encoding(encoding(lifetime=5))
    assert list(fold(after, [ReplaceDictionary(before=d, after=replaced)]).dictionaries.values()) == [replaced]
    assert fold(after, [DropDictionary(name="d")]).dictionaries == {}
    with pytest.raises(FoldError):
        fold(after, [CreateDictionary(dictionary=d)])
    with pytest.raises(FoldError):
        fold(infra(), [DropDictionary(name="d")])


def test_plan_file_round_trip_and_passwords_hidden() -> None:
    d = attrs.evolve(Dictionary.from_encoding(encoding(password="[HIDDEN]")), secrets={"password": "s3cret"})
    plan = make_plan(PlanRequest(current=infra(), target=infra(d), dialect=CLICKHOUSE))
    written = plan_to_yaml(Plan(created_at="2026-01-01T00:00:00Z",
                                operations=plan.operations), CLICKHOUSE)
    assert "s3cret" not in written and "[HIDDEN]" in written and "CreateDictionary" in written
    read = plan_from_yaml(written, BUILTIN_OPERATIONS, CLICKHOUSE).operations
    assert read == plan.operations
    restored = restore_secrets(read[0], lambda: infra(d))
    assert isinstance(restored, CreateDictionary) and restored.dictionary.secrets == {"password": "s3cret"}
    with pytest.raises(MissingSecret):
        restore_secrets(read[0], lambda: infra())


def test_explanations() -> None:
    old, new = Dictionary.from_encoding(encoding()), Dictionary.from_encoding(encoding(lifetime=600))
    replace = explain(1, ReplaceDictionary(before=old, after=new), CLICKHOUSE)
    assert replace.details == ("lifetime: 300s → 600s",) and replace.level is None
    assert "keep every row" in (replace.impact or "")
    drop = explain(1, DropDictionary(name="d"), CLICKHOUSE)
    assert drop.risks == ("drop_dictionary_breaks_lookups",) and drop.level == "risky"
    create = explain(1, CreateDictionary(dictionary=new), CLICKHOUSE)
    assert "source: table products" in create.details


def test_a_dictionary_column_comment_is_refused_where_it_is_declared() -> None:
    """ClickHouse refuses COMMENT on a dictionary column (the whole CREATE DICTIONARY): muskox says so at the
    declaration, not half-way through a migrate."""
    from muskox.declare.dictionary import DictionaryColumn
    from muskox.declare.errors import DeclarationError

    assert DictionaryColumn(default="'unknown'").comment is None
    with pytest.raises(DeclarationError, match=r"no COMMENT on a dictionary column.*remove comment="):
        DictionaryColumn(comment="the category")
