"""OlapTable / OlapConfig / engines / View / MaterializedView declarations and the model values they build."""

from __future__ import annotations

import dataclasses
import warnings
from datetime import datetime
from typing import Annotated, Any, Optional

import pytest

from muskox import (
    AggregatingMergeTreeEngine,
    ClickHouseAlias,
    ClickHouseEngines,
    CollapsingMergeTreeEngine,
    Key,
    LifeCycle,
    MaterializedView,
    MaterializedViewOptions,
    MergeTreeEngine,
    OlapConfig,
    OlapTable,
    ReplacingMergeTreeEngine,
    ReplicatedAggregatingMergeTreeEngine,
    ReplicatedCollapsingMergeTreeEngine,
    ReplicatedMergeTreeEngine,
    ReplicatedReplacingMergeTreeEngine,
    ReplicatedSummingMergeTreeEngine,
    ReplicatedVersionedCollapsingMergeTreeEngine,
    SummingMergeTreeEngine,
    TableIndex,
    TableProjection,
    UInt32,
    VersionedCollapsingMergeTreeEngine,
    View,
    ViewConfig,
)
from muskox.declare import DeclarationError
from muskox.declare.engines import EngineConfig
from muskox.exit_codes import ExitCode
from muskox.model import engines as model_engines
from muskox.model import table as model_table
from muskox.model.resources import MaterializedView as ModelMaterializedView
from muskox.model.resources import View as ModelView

HERE = "test_declare_tables.py"


@dataclasses.dataclass
class Event:
    id: Key[str]
    ts: datetime
    sign: Annotated[int, "int8"]
    ver: UInt32
    deleted: Annotated[int, "uint8"]
    referrer: Optional[str] = None  # noqa: UP045
    lower_id: Annotated[str, ClickHouseAlias("lower(id)")] = ""


@dataclasses.dataclass
class NoKey:
    a: str
    b: int


# -- OlapConfig -----------------------------------------------------------------------------------------


def test_config_rejects_unknown_fields_naming_them() -> None:
    with pytest.raises(DeclarationError) as raised:
        OlapConfig(order_by=["id"])  # type: ignore[call-arg]
    message = str(raised.value)
    assert f"{HERE}:" in message
    assert "OlapConfig: unknown field 'order_by' (did you mean 'order_by_fields'?)" in message
    assert raised.value.exit_code == ExitCode.CONFIG


def test_config_rejects_positional_arguments() -> None:
    with pytest.raises(DeclarationError, match="OlapConfig takes keyword arguments only"):
        OlapConfig(["id"])  # type: ignore[misc]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"order_by_fields": ["id"], "order_by_expression": "id"}, "order_by_fields and order_by_expression are exclusive"),
    ({"order_by_fields": "id"}, "OlapConfig.order_by_fields: expected a list of strings"),
    ({"life_cycle": "SOMETIMES"}, "OlapConfig.life_cycle: unknown lifecycle 'SOMETIMES'"),
    ({"settings": {"x": [1]}}, "OlapConfig.settings: 'x': expected a string value"),
    ({"ttl": "TTL ts + INTERVAL 1 DAY"}, "OlapConfig.ttl: 'TTL ts + INTERVAL 1 DAY' starts with TTL"),
    ({"version": ""}, "OlapConfig.version: expected a non-empty string"),
    ({"cluster": "c", "engine": ReplicatedMergeTreeEngine(keeper_path="/p", replica_name="r")},
     "cluster and an engine with explicit keeper_path/replica_name are exclusive"),
])
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DeclarationError) as raised:
        OlapConfig(**kwargs)
    assert message in str(raised.value)


def test_config_coerces_like_moose() -> None:
    config = OlapConfig(order_by_fields=("id", "ts"), life_cycle="DELETION_PROTECTED",  # type: ignore[arg-type]
                        settings={"index_granularity": 4096, "allow_nullable_key": True},  # type: ignore[dict-item]
                        indexes=[{"name": "i", "expression": "id", "type": "bloom_filter"}])  # type: ignore[list-item]
    assert config.order_by_fields == ["id", "ts"]
    assert config.life_cycle is LifeCycle.DELETION_PROTECTED
    assert config.settings == {"index_granularity": "4096", "allow_nullable_key": "1"}
    assert config.indexes == [TableIndex(name="i", expression="id", type="bloom_filter")]
    assert OlapConfig.TableIndex is TableIndex
    assert OlapConfig.TableProjection is TableProjection


def test_index_and_projection_fields_are_checked() -> None:
    with pytest.raises(DeclarationError, match="TableIndex: missing required field 'type'"):
        TableIndex(name="i", expression="id")  # type: ignore[call-arg]
    with pytest.raises(DeclarationError, match="TableProjection: unknown field 'expr'"):
        TableProjection(name="p", expr="SELECT 1")  # type: ignore[call-arg]
    with pytest.raises(DeclarationError, match="granularity must be a positive integer"):
        TableIndex(name="i", expression="id", type="set", granularity=0)


# -- OlapTable: checks against the model ----------------------------------------------------------------


@pytest.mark.parametrize(("config", "message"), [
    (OlapConfig(order_by_fields=["id", "nope"]), "OlapConfig.order_by_fields: 'nope' is not a column of Event"),
    (OlapConfig(order_by_expression="nope"), "OlapConfig.order_by_expression: 'nope' is not a column of Event"),
    (OlapConfig(partition_by="month"), "OlapConfig.partition_by: 'month' is not a column of Event"),
    (OlapConfig(sample_by_expression="x"), "OlapConfig.sample_by_expression: 'x' is not a column of Event"),
    (OlapConfig(engine=ReplacingMergeTreeEngine(ver="version")),
     "ReplacingMergeTreeEngine.ver: 'version' is not a column of Event"),
    (OlapConfig(engine=CollapsingMergeTreeEngine(sign="s")), "CollapsingMergeTreeEngine.sign: 's' is not a column"),
    (OlapConfig(order_by_fields=["referrer"]), "ORDER BY: Event.referrer is Optional (Nullable)"),
    (OlapConfig(order_by_fields=["lower_id"]), "ORDER BY: Event.lower_id is an ALIAS column"),
])
def test_table_config_is_checked_against_the_columns(config: OlapConfig, message: str) -> None:
    with pytest.raises(DeclarationError) as raised:
        OlapTable[Event]("events", config)
    text = str(raised.value)
    assert f"{HERE}:" in text and "OlapTable 'events': " in text
    assert message in text


def test_expressions_are_not_checked_as_names() -> None:
    table = OlapTable[Event]("events", OlapConfig(order_by_expression="(id, toStartOfHour(ts))",
                                                  partition_by="toYYYYMM(ts)", sample_by_expression="cityHash64(id)"))
    assert table.to_table().order_by == "(id, toStartOfHour(ts))"


def test_nullable_key_allowed_by_setting() -> None:
    table = OlapTable[Event]("events", OlapConfig(order_by_fields=["referrer"],
                                                  settings={"allow_nullable_key": "1"}))
    assert table.to_table().order_by == ("referrer",)


def test_table_needs_a_schema_class() -> None:
    with pytest.raises(DeclarationError, match="OlapTable 'events': no schema class"):
        OlapTable("events")
    with pytest.raises(DeclarationError, match="config must be an OlapConfig"):
        OlapTable[Event]("events", {"order_by_fields": ["id"]})  # type: ignore[arg-type]


def test_a_bad_field_names_place_table_model_and_field() -> None:
    @dataclasses.dataclass
    class Bad:
        amount: complex

    with pytest.raises(DeclarationError) as raised:
        OlapTable[Bad]("bad")
    assert str(raised.value).startswith(f"tests/core/{HERE}:")
    assert "OlapTable 'bad': Bad.amount: unsupported type complex. Fix: use one of str, bytes" in str(raised.value)


# -- OlapTable → model.Table ----------------------------------------------------------------------------


def test_defaults_and_order_by_fallback_to_keys() -> None:
    table = OlapTable[Event]("events").to_table(project_dir=None)
    assert table.name == "events"
    assert table.order_by == ("id",)
    assert table.engine == model_engines.MergeTree()
    assert table.life_cycle is model_table.LifeCycle.FULLY_MANAGED
    assert table.settings == {}
    assert table.metadata is not None and table.metadata.source is not None
    assert table.metadata.source.file.endswith(HERE)
    assert OlapTable[NoKey]("t").to_table().order_by == ()  # rendered as ORDER BY tuple()


def test_versioned_names() -> None:
    table = OlapTable[Event]("events", OlapConfig(version="1.0"))
    assert table.physical_name == "events_1_0"
    model = table.to_table()
    assert (model.name, model.version) == ("events_1_0", "1.0")
    assert OlapTable[Event]("events", OlapConfig(version="2.1.3")).physical_name == "events_2_1_3"


def test_every_config_field_reaches_the_model() -> None:
    config = OlapConfig(
        order_by_fields=["id", "ts"], partition_by="toYYYYMM(ts)", sample_by_expression="cityHash64(id)",
        primary_key_expression="id", engine=ReplacingMergeTreeEngine(ver="ver", is_deleted="deleted"),
        version="2", metadata={"description": "all events"}, life_cycle=LifeCycle.EXTERNALLY_MANAGED,
        settings={"merge_with_ttl_timeout": "3600"}, ttl="ts + INTERVAL 30 DAY", cluster="main",
        indexes=[OlapConfig.TableIndex(name="ix", expression="id", type="bloom_filter", arguments=["0.01"])],
        projections=[OlapConfig.TableProjection(name="by_ts", body="SELECT * ORDER BY ts")], database="analytics",
    )
    table = OlapTable[Event]("events", config).to_table()
    assert table == model_table.Table(
        name="events_2", columns=table.columns,
        engine=model_engines.ReplacingMergeTree(ver="ver", is_deleted="deleted"), database="analytics",
        order_by=("id", "ts"), partition_by="toYYYYMM(ts)", primary_key_expression="id",
        sample_by="cityHash64(id)", ttl="ts + INTERVAL 30 DAY", settings={"merge_with_ttl_timeout": "3600"},
        indexes=(model_table.TableIndex(name="ix", expression="id", type="bloom_filter", arguments=("0.01",)),),
        projections=(model_table.TableProjection(name="by_ts", body="SELECT * ORDER BY ts"),),
        version="2", life_cycle=model_table.LifeCycle.EXTERNALLY_MANAGED, cluster="main",
        metadata=table.metadata,
    )
    assert table.metadata is not None and table.metadata.description == "all events"


def test_table_declared_outside_a_collection_registers_nowhere() -> None:
    from muskox.declare.registry import active_registry

    OlapTable[Event]("events")
    OlapTable[Event]("events")  # no duplicate error: nothing is collecting
    assert active_registry() is None


# -- engines --------------------------------------------------------------------------------------------

R = model_engines.Replication
ENGINES: list[tuple[EngineConfig, model_engines.Engine]] = [
    (MergeTreeEngine(), model_engines.MergeTree()),
    (ReplacingMergeTreeEngine(), model_engines.ReplacingMergeTree()),
    (ReplacingMergeTreeEngine(ver="ver"), model_engines.ReplacingMergeTree(ver="ver")),
    (AggregatingMergeTreeEngine(), model_engines.AggregatingMergeTree()),
    (SummingMergeTreeEngine(columns=["ver"]), model_engines.SummingMergeTree(columns=("ver",))),
    (SummingMergeTreeEngine(), model_engines.SummingMergeTree()),
    (CollapsingMergeTreeEngine(sign="sign"), model_engines.CollapsingMergeTree(sign="sign")),
    (VersionedCollapsingMergeTreeEngine(sign="sign", ver="ver"),
     model_engines.VersionedCollapsingMergeTree(sign="sign", ver="ver")),
    (ReplicatedMergeTreeEngine(), model_engines.MergeTree(replication=R())),
    (ReplicatedMergeTreeEngine("/clickhouse/{shard}/events", "{replica}"),
     model_engines.MergeTree(replication=R(keeper_path="/clickhouse/{shard}/events", replica_name="{replica}"))),
    (ReplicatedReplacingMergeTreeEngine(ver="ver", is_deleted="deleted"),
     model_engines.ReplacingMergeTree(ver="ver", is_deleted="deleted", replication=R())),
    (ReplicatedAggregatingMergeTreeEngine("/p", "r"),
     model_engines.AggregatingMergeTree(replication=R(keeper_path="/p", replica_name="r"))),
    (ReplicatedSummingMergeTreeEngine(columns=["ver"]),
     model_engines.SummingMergeTree(columns=("ver",), replication=R())),
    (ReplicatedCollapsingMergeTreeEngine(sign="sign"), model_engines.CollapsingMergeTree(sign="sign", replication=R())),
    (ReplicatedVersionedCollapsingMergeTreeEngine(sign="sign", ver="ver"),
     model_engines.VersionedCollapsingMergeTree(sign="sign", ver="ver", replication=R())),
]


@pytest.mark.parametrize(("engine", "expected"), ENGINES, ids=[repr(e) for e, _ in ENGINES])
def test_engines(engine: EngineConfig, expected: model_engines.Engine) -> None:
    assert OlapTable[Event]("events", OlapConfig(engine=engine)).to_table().engine == expected


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ReplacingMergeTreeEngine(is_deleted="deleted"), "ReplacingMergeTreeEngine: is_deleted requires ver"),
    (lambda: CollapsingMergeTreeEngine(sign=""), "CollapsingMergeTreeEngine: sign is required"),
    (lambda: VersionedCollapsingMergeTreeEngine(sign="sign", ver=""),
     "VersionedCollapsingMergeTreeEngine: ver is required"),
    (lambda: ReplicatedMergeTreeEngine(keeper_path="/p"),
     "ReplicatedMergeTreeEngine: keeper_path and replica_name go together"),
    (lambda: ReplicatedCollapsingMergeTreeEngine("/p", "r"), "ReplicatedCollapsingMergeTreeEngine: sign is required"),
])
def test_engine_validation(make: Any, message: str) -> None:
    with pytest.raises(DeclarationError, match=message):
        make()


def test_deprecated_engine_enum() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = OlapTable[Event]("events", OlapConfig(engine=ClickHouseEngines.ReplacingMergeTree))
    assert table.to_table().engine == model_engines.ReplacingMergeTree()
    assert any(issubclass(w.category, DeprecationWarning) and "ReplacingMergeTreeEngine()" in str(w.message)
               for w in caught)
    with pytest.raises(DeclarationError, match=r"ClickHouseEngines\.CollapsingMergeTree needs parameters"):
        OlapTable[Event]("events", OlapConfig(engine=ClickHouseEngines.CollapsingMergeTree))
    with pytest.raises(DeclarationError, match=r"ClickHouseEngines\.S3Queue needs parameters.*S3QueueEngine"):
        OlapTable[Event]("events", OlapConfig(engine=ClickHouseEngines.S3Queue))


def test_engine_must_be_an_engine_class() -> None:
    with pytest.raises(DeclarationError, match=r"OlapConfig\.engine: engine must be an engine class"):
        OlapTable[Event]("events", OlapConfig(engine="MergeTree"))  # type: ignore[arg-type]


# -- views and materialized views -----------------------------------------------------------------------


def test_view() -> None:
    events = OlapTable[Event]("events", OlapConfig(version="1.0"))
    other = OlapTable[NoKey]("other", OlapConfig(database="analytics"))
    view = View("recent", ViewConfig(select_statement="SELECT * FROM events_1_0", base_tables=[events, other],
                                     metadata={"description": "last day"}))
    model = view.to_view()
    assert model == ModelView(name="recent", select_sql="SELECT * FROM events_1_0",
                              source_tables=("`events_1_0`", "`analytics`.`other`"), metadata=model.metadata)
    assert model.metadata is not None and model.metadata.description == "last day"
    assert View("v2", ViewConfig(select_statement="SELECT 1", base_tables=[view])).source_tables == ["`recent`"]


def test_view_positional_form_is_deprecated_but_works() -> None:
    with pytest.warns(DeprecationWarning, match="ViewConfig"):
        view = View("v", "SELECT 1", [], database="db")  # type: ignore[arg-type]
    assert (view.database, view.select_sql) == ("db", "SELECT 1")


def test_view_config_is_checked() -> None:
    with pytest.raises(DeclarationError, match="ViewConfig: unknown field 'base_table'"):
        ViewConfig(select_statement="SELECT 1", base_table=[])  # type: ignore[call-arg]
    with pytest.raises(DeclarationError, match="cannot use 42 as a source table"):
        View("v", ViewConfig(select_statement="SELECT 1", base_tables=[42]))


def test_materialized_view_with_target_table() -> None:
    events = OlapTable[Event]("events")
    counts = OlapTable[NoKey]("counts", OlapConfig(order_by_fields=["a"], database="agg"))
    view = MaterializedView[NoKey](MaterializedViewOptions(
        select_statement="SELECT id AS a, count() AS b FROM events GROUP BY a", select_tables=[events],
        materialized_view_name="events_to_counts", life_cycle=LifeCycle.DELETION_PROTECTED), target_table=counts)
    model = view.to_materialized_view()
    assert model == ModelMaterializedView(
        name="events_to_counts", select_sql="SELECT id AS a, count() AS b FROM events GROUP BY a",
        target_table="counts", target_database="agg", source_tables=("`events`",),
        life_cycle=model_table.LifeCycle.DELETION_PROTECTED, metadata=model.metadata)
    assert view.target_table is counts


def test_materialized_view_declaring_its_target_through_the_options() -> None:
    view = MaterializedView[NoKey](MaterializedViewOptions(
        select_statement="SELECT 'x' AS a, 1 AS b", select_tables=["events"], materialized_view_name="mv",
        table_name="mv_target", order_by_fields=["a"], engine=SummingMergeTreeEngine()))
    target = view.target_table.to_table()
    assert (target.name, target.order_by, target.engine) == ("mv_target", ("a",), model_engines.SummingMergeTree())
    assert view.source_tables == ["`events`"]


@pytest.mark.parametrize(("build", "message"), [
    (lambda o: MaterializedView[NoKey](o), "MaterializedView 'mv': no target table"),
    (lambda o: MaterializedView[Event](o, target_table=OlapTable[NoKey]("t")),
     "the view's type Event differs from its target table's NoKey"),
    (lambda o: MaterializedView[NoKey](o, target_table=OlapTable[NoKey]("mv")),
     "the view and its target table have the same name"),
])
def test_materialized_view_validation(build: Any, message: str) -> None:
    options = MaterializedViewOptions(select_statement="SELECT 1", select_tables=[], materialized_view_name="mv")
    with pytest.raises(DeclarationError, match=message):
        build(options)


def test_materialized_view_options_are_checked() -> None:
    with pytest.raises(DeclarationError, match="MaterializedViewOptions: missing required field"):
        MaterializedViewOptions(select_statement="SELECT 1")  # type: ignore[call-arg]
