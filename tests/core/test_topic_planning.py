"""Topics through the planner: diff, lowering, lifecycle, the destructive gate, plan and delta files, the fold,
reconciliation with the broker, drift, the state hash and routing operations to the stream backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import pytest

from muskox.apply.drift import DriftOutcome, check_drift, drift_report, same_state
from muskox.errors import PluginError
from muskox.files.delta import migration_from_yaml, migration_to_yaml, new_migration
from muskox.files.delta_operations import deltas_from_operations, lower_deltas
from muskox.files.json_schema import plan_schema
from muskox.files.plan_yaml import Plan, plan_from_yaml, plan_to_yaml
from muskox.files.state_hash import state_hash
from muskox.model import Column, InfraMap, LifeCycle, Table, Topic
from muskox.model.operations import BUILTIN_OPERATIONS, CreateTable, Operation
from muskox.model.topic_operations import (
    TOPIC_OPERATIONS,
    CreateTopic,
    DropTopic,
    IncreaseTopicPartitions,
    ModifyTopicConfig,
)
from muskox.model.types import Simple
from muskox.plan.fold import FoldError, fold
from muskox.plan.lowering import PartitionDecrease
from muskox.plan.planner import PlanRequest, PlanResult, make_plan
from muskox.plan.policies.approvals import ApprovalRequired, Approvals
from muskox.plan.reconcile import applied_state, reconcile
from muskox.plugin.backends import Backends, topic_names
from muskox.plugin.interfaces import StreamBackend
from muskox_clickhouse.dialect import CLICKHOUSE

DB = "db"
YES = Approvals(yes_all=True, yes_destructive=True, yes_rename=True)
ALL_OPERATIONS = {**BUILTIN_OPERATIONS, **TOPIC_OPERATIONS}


def topic(name: str = "events", **options: Any) -> Topic:
    options.setdefault("retention_ms", 604_800_000)
    return Topic(name=name, **options)


def infra(*topics: Topic, tables: Sequence[Table] = ()) -> InfraMap:
    return InfraMap.of(DB, tables=tables, topics=topics)


def plan(before: Sequence[Topic], after: Sequence[Topic], approvals: Approvals = YES, **kw: Any) -> PlanResult:
    return make_plan(PlanRequest(current=infra(*before), target=infra(*after), approvals=approvals, **kw,
                                 dialect=CLICKHOUSE))


def names(result: PlanResult) -> list[str]:
    return [type(op).__name__ for op in result.operations]


# -- planning -------------------------------------------------------------------------------------------


def test_a_new_stream_is_created_with_its_whole_definition() -> None:
    declared = topic(partitions=3, configs={"cleanup.policy": "compact"})
    result = plan([], [declared])
    assert result.operations == (CreateTopic(topic=declared),)
    assert result.operations[0].describe() == "Creating topic 'events' (3 partition(s))"


def test_a_removed_stream_is_dropped_behind_the_destructive_gate() -> None:
    with pytest.raises(ApprovalRequired) as info:
        plan([topic()], [], approvals=Approvals())
    assert "DROP TOPIC events" in str(info.value)
    result = plan([topic()], [])
    assert result.operations == (DropTopic(topic="events"),)
    assert [f.description for f in result.destructive] == ["DROP TOPIC events"]


def test_config_changes_carry_the_whole_managed_configuration() -> None:
    before = topic(configs={"cleanup.policy": "compact"})
    after = topic(retention_ms=3_600_000, max_message_bytes=2_000_000)
    (operation,) = plan([before], [after]).operations
    assert operation == ModifyTopicConfig(
        topic="events",
        before_configs={"retention.ms": "604800000", "cleanup.policy": "compact"},
        after_configs={"retention.ms": "3600000", "max.message.bytes": "2000000"})
    assert operation.changed() == {"max.message.bytes": "2000000", "retention.ms": "3600000"}
    assert operation.removed() == ["cleanup.policy"]
    assert operation.describe() == ("Modifying config of topic 'events' (cleanup.policy, max.message.bytes, "
                                    "retention.ms)")


def test_more_partitions_come_before_the_configuration() -> None:
    result = plan([topic(partitions=1)], [topic(partitions=4, retention_ms=1000)])
    assert names(result) == ["IncreaseTopicPartitions", "ModifyTopicConfig"]
    assert result.operations[0] == IncreaseTopicPartitions(topic="events", before_partitions=1, after_partitions=4)


def test_fewer_partitions_is_a_planning_error() -> None:
    with pytest.raises(PartitionDecrease) as info:
        plan([topic(partitions=4)], [topic(partitions=2)])
    assert ("topic 'events': Kafka cannot reduce partitions from 4 to 2: recreate the topic under a new version"
            in str(info.value))
    assert info.value.exit_code == 7


def test_a_version_bump_is_a_new_topic() -> None:
    result = plan([topic("events_1_0", version="1.0")], [topic("events_2_0", version="2.0", partitions=1)])
    assert names(result) == ["DropTopic", "CreateTopic"]


def test_lifecycle_and_metadata_alone_change_nothing() -> None:
    result = plan([topic()], [topic(life_cycle=LifeCycle.DELETION_PROTECTED, version="x")])
    assert result.empty and not result.changes


@pytest.mark.parametrize(("before", "after", "reason"), [
    ([], [topic(life_cycle=LifeCycle.EXTERNALLY_MANAGED)], "Topic 'events' is EXTERNALLY_MANAGED - CREATE blocked"),
    ([topic(life_cycle=LifeCycle.DELETION_PROTECTED)], [], "Topic 'events' is DELETION_PROTECTED - DROP blocked"),
    ([topic(life_cycle=LifeCycle.EXTERNALLY_MANAGED)], [], "Topic 'events' is EXTERNALLY_MANAGED - DROP blocked"),
    ([topic()], [topic(partitions=2, life_cycle=LifeCycle.EXTERNALLY_MANAGED)],
     "Topic 'events' is EXTERNALLY_MANAGED - update blocked"),
])
def test_lifecycle_rules_apply_to_topics(before: list[Topic], after: list[Topic], reason: str) -> None:
    result = plan(before, after, approvals=Approvals())
    assert result.empty
    assert [b.reason for b in result.blocked] == [reason]


def test_a_protected_topic_is_still_updated() -> None:
    result = plan([topic(life_cycle=LifeCycle.DELETION_PROTECTED)],
                  [topic(partitions=2, life_cycle=LifeCycle.DELETION_PROTECTED)])
    assert names(result) == ["IncreaseTopicPartitions"]


def test_an_externally_managed_topic_may_shrink_in_code_without_error() -> None:
    result = plan([topic(partitions=4)], [topic(partitions=1, life_cycle=LifeCycle.EXTERNALLY_MANAGED)])
    assert result.empty and len(result.blocked) == 1


def test_tables_and_topics_in_one_plan() -> None:
    table = Table(name="events", columns=(Column(name="id", data_type=Simple("UInt64")),), order_by=("id",))
    result = make_plan(PlanRequest(current=InfraMap.of(DB), target=infra(topic(), tables=[table]), approvals=YES,
                                   dialect=CLICKHOUSE))
    assert result.operations == (CreateTable(table=table), CreateTopic(topic=topic()))
    assert [op.backend for op in result.operations] == ["olap", "stream"]


# -- plan.yaml, JSON schema ------------------------------------------------------------------------------


def test_topic_operations_round_trip_through_plan_yaml() -> None:
    operations = (CreateTopic(topic=topic(partitions=2, max_message_bytes=10, configs={"a.b": "c"})),
                  DropTopic(topic="old"),
                  ModifyTopicConfig(topic="events", before_configs={"retention.ms": "1"},
                                    after_configs={"retention.ms": "2"}),
                  IncreaseTopicPartitions(topic="events", before_partitions=1, after_partitions=2))
    text = plan_to_yaml(Plan(created_at="2026-01-01T00:00:00.000000Z", operations=operations), CLICKHOUSE)
    assert "- DropTopic:\n    topic: old\n" in text
    assert "partition_count: 2" in text
    assert plan_from_yaml(text, ALL_OPERATIONS, CLICKHOUSE).operations == operations


def test_without_the_stream_plugin_topic_operations_are_unknown() -> None:
    text = plan_to_yaml(Plan(created_at="2026-01-01T00:00:00.000000Z", operations=(DropTopic(topic="x"),)), CLICKHOUSE)
    with pytest.raises(Exception, match="unknown operation 'DropTopic'"):
        plan_from_yaml(text, BUILTIN_OPERATIONS, CLICKHOUSE)


def test_the_json_schema_describes_topic_operations() -> None:
    schema = plan_schema(ALL_OPERATIONS)
    options = {next(iter(o["properties"])): o for o in schema["properties"]["operations"]["items"]["oneOf"]}
    create = options["CreateTopic"]["properties"]["CreateTopic"]
    assert create["properties"]["topic"]["properties"]["partition_count"] == {"type": "integer", "minimum": 1}
    grow = options["IncreaseTopicPartitions"]["properties"]["IncreaseTopicPartitions"]
    assert grow["required"] == ["topic", "before_partitions", "after_partitions"]


# -- delta files and the fold ----------------------------------------------------------------------------


def test_topic_operations_become_deltas_and_back() -> None:
    current = infra(topic("old", life_cycle=LifeCycle.FULLY_MANAGED), topic(partitions=1))
    target = infra(topic(partitions=2, retention_ms=1000), topic("new"))
    result = make_plan(PlanRequest(current=current, target=target, approvals=YES, dialect=CLICKHOUSE))
    deltas = deltas_from_operations(result.operations, current, target=target, approved_at="now",
                                    reasons={f.key: f.description for f in result.destructive})
    migration = new_migration(deltas, state_hash(current, CLICKHOUSE), now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    text = migration_to_yaml(migration, CLICKHOUSE)
    assert "type: DropTopic" in text and "description: DROP TOPIC old" in text
    read = migration_from_yaml(text, "m.yaml", CLICKHOUSE)
    assert read.deltas == deltas
    assert [d.TYPE for d in read.deltas] == ["DropTopic", "IncreaseTopicPartitions", "ModifyTopicConfig",
                                             "CreateTopic"]
    assert lower_deltas(read.deltas, current) == list(result.operations)
    assert same_state(fold(current, result.operations), target, CLICKHOUSE)


def test_the_fold_checks_topics() -> None:
    with pytest.raises(FoldError, match="topic 'events' already exists"):
        fold(infra(topic()), [CreateTopic(topic=topic())])
    with pytest.raises(FoldError, match="topic 'nope' does not exist"):
        fold(infra(), [ModifyTopicConfig(topic="nope")])


def test_the_state_hash_covers_topics_only_when_there_are_some() -> None:
    empty = state_hash(InfraMap(default_database=DB), CLICKHOUSE)
    assert empty == "2cef55d3abf87fd8ab3e438898a908d7af537773c06e46ee692b6bd622e44901"  # Moose's
    assert state_hash(infra(), CLICKHOUSE) == empty
    with_topic = state_hash(infra(topic()), CLICKHOUSE)
    assert with_topic != empty
    assert state_hash(infra(topic(life_cycle=LifeCycle.DELETION_PROTECTED, version="1")), CLICKHOUSE) == with_topic
    assert state_hash(infra(topic(retention_ms=1)), CLICKHOUSE) != with_topic


# -- reconciliation with the broker, drift -----------------------------------------------------------------


def broker(*topics: Topic) -> InfraMap:
    """What introspection returns: every config the broker reports, at defaults too."""
    defaults = {"retention.ms": "604800000", "max.message.bytes": "1048588", "cleanup.policy": "delete",
                "segment.bytes": "1073741824"}
    return InfraMap(default_database=DB, topics={t.name: t.with_managed_configs({**defaults, **t.managed_configs()})
                                                 for t in topics})


def test_only_managed_keys_are_compared() -> None:
    declared = topic(configs={"cleanup.policy": "compact"})
    current = reconcile(None, broker(Topic(name="events")), infra(declared))
    assert current.topics["events"].managed_configs() == {"retention.ms": "604800000", "cleanup.policy": "delete"}
    assert names(make_plan(PlanRequest(current=current, target=infra(declared), approvals=YES,
                                       dialect=CLICKHOUSE))) == [
        "ModifyTopicConfig"]


def test_foreign_topics_are_not_adopted_and_declared_ones_are() -> None:
    current = reconcile(None, broker(topic("foreign"), topic("events")), infra(topic("events")))
    assert list(current.topics) == ["events"]
    assert make_plan(PlanRequest(current=current, target=infra(topic("events")), dialect=CLICKHOUSE)).empty


def test_stored_topics_that_are_gone_are_created_again() -> None:
    current = reconcile(infra(topic()), broker(), infra(topic()))
    assert current.topics == {}


def test_a_key_removed_from_the_code_is_deleted_then_forgotten() -> None:
    stored = infra(topic(configs={"cleanup.policy": "compact"}))
    declared = infra(topic())
    current = reconcile(stored, broker(topic(configs={"cleanup.policy": "compact"})), declared)
    (operation,) = make_plan(PlanRequest(current=current, target=declared, approvals=YES,
                                         dialect=CLICKHOUSE)).operations
    assert isinstance(operation, ModifyTopicConfig) and operation.removed() == ["cleanup.policy"]
    # after the DELETE the broker reports the default again; the stored state no longer manages the key
    after = applied_state(stored, broker(topic()), declared)
    assert after.topics["events"].configs == {}
    assert make_plan(PlanRequest(current=reconcile(after, broker(topic()), declared), target=declared,
                                 dialect=CLICKHOUSE)).empty


def test_lifecycle_comes_from_the_code_when_it_declares_the_topic() -> None:
    stored = infra(topic())
    declared = infra(topic(life_cycle=LifeCycle.DELETION_PROTECTED))
    assert reconcile(stored, broker(topic()), declared).topics["events"].life_cycle is LifeCycle.DELETION_PROTECTED
    assert reconcile(stored, broker(topic()), infra()).topics["events"].life_cycle is LifeCycle.FULLY_MANAGED


def test_an_out_of_band_config_change_is_drift_naming_the_topic() -> None:
    expected = reconcile(None, broker(topic()), infra(topic()))
    changed = reconcile(None, broker(topic(retention_ms=5000)), infra(topic()))
    target = infra(topic(partitions=2))
    assert check_drift(expected, expected, target, CLICKHOUSE) is DriftOutcome.NO_DRIFT
    assert check_drift(changed, expected, target, CLICKHOUSE) is DriftOutcome.DRIFT
    assert drift_report(expected, changed, CLICKHOUSE) == ["~ topic events: retention.ms 604800000 → 5000"]
    gone = reconcile(None, broker(), infra(topic()))
    assert drift_report(expected, gone, CLICKHOUSE) == ["- topic events (removed from the database)"]


# -- routing ---------------------------------------------------------------------------------------------


class FakeOlap:
    database = DB

    def __init__(self) -> None:
        self.applied: list[Operation] = []
        self.closed = False

    def introspect(self) -> InfraMap:
        return InfraMap(default_database=DB)

    def apply(self, operation: Operation) -> None:
        self.applied.append(operation)

    def close(self) -> None:
        self.closed = True


class FakeStream(StreamBackend):
    def __init__(self) -> None:
        self.applied: list[Operation] = []
        self.asked: list[list[str]] = []
        self.closed = False

    @classmethod
    def from_config(cls, config: Any, *, url: str | None = None) -> FakeStream:
        return cls()

    def list_topics(self) -> list[str]:
        return []

    def introspect(self, names: Collection[str] | None = None) -> dict[str, Topic]:
        self.asked.append(sorted(names or ()))
        return {n: Topic(name=n) for n in names or () if n != "missing"}

    def apply(self, operation: Operation) -> None:
        self.applied.append(operation)

    def close(self) -> None:
        self.closed = True


def test_the_broker_is_contacted_only_when_topics_are_involved() -> None:
    opened: list[FakeStream] = []

    def open_stream() -> FakeStream:
        opened.append(FakeStream())
        return opened[-1]

    olap = FakeOlap()
    with Backends(olap, open_stream) as backends:
        assert backends.introspect(None, infra()).topics == {}
        assert not opened
        reality = backends.introspect(infra(topic("a")), None, infra(topic("b"), topic("missing")))
        assert sorted(reality.topics) == ["a", "b"]
        assert opened[0].asked == [["a", "b", "missing"]]
        backends.apply(CreateTable(table=Table(name="t", columns=())))
        backends.apply(DropTopic(topic="a"))
        assert [type(op).__name__ for op in olap.applied] == ["CreateTable"]
        assert opened[0].applied == [DropTopic(topic="a")]
    assert olap.closed and opened[0].closed


def test_streaming_disabled_never_introspects_topics() -> None:
    backends = Backends(FakeOlap(), None, streams_enabled=False)
    assert backends.introspect(infra(topic())).topics == {}
    with pytest.raises(PluginError, match="no stream backend"):
        backends.apply(DropTopic(topic="a"))


def test_topic_names_of_several_maps() -> None:
    assert topic_names(None, infra(topic("a")), infra(topic("b"), topic("a"))) == {"a", "b"}
