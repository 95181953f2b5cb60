"""The model's JSON codec: Moose's files read and write back, and every generated table round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given

from muskox.model import Column, InfraMap, Table
from muskox.model.codec import from_json, to_json
from muskox.model.types import DateTime, LowCardinality, Simple
from muskox.testing.strategies import tables

FIXTURES = Path(__file__).parents[1] / "fixtures" / "moose-cli-0.6.533" / "snapshot-mode"
MOOSE_FILES = sorted(FIXTURES.glob("*/*.json"))
HASHES = {"engine_params_hash", "table_settings_hash"}


@given(tables())
def test_tables_round_trip_through_json(table: Table) -> None:
    assert from_json(json.loads(json.dumps(to_json(table))), Table) == table


def test_the_moose_fixtures_exist() -> None:
    assert len(MOOSE_FILES) == 4


@pytest.mark.parametrize("path", MOOSE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_moose_written_maps_read_and_write_back_identically(path: Path) -> None:
    original = json.loads(path.read_text())
    infra = from_json(original, InfraMap)
    written = to_json(infra)
    assert set(written["tables"]) == set(original["tables"])
    for key, table in original["tables"].items():
        assert {k: v for k, v in table.items() if k not in HASHES} == written["tables"][key]
    assert written["views"] == original["views"]
    assert written["materialized_views"] == original["materialized_views"]
    assert from_json(written, InfraMap) == infra


def test_moose_column_encoding_maps_to_the_model() -> None:
    column = from_json({"name": "kind", "data_type": "String", "required": False, "unique": False,
                        "primary_key": False, "default": None, "annotations": [["LowCardinality", True]]}, Column)
    assert column == Column(name="kind", data_type=LowCardinality(Simple("String")), nullable=True)
    ts = from_json({"name": "ts", "data_type": "DateTime", "required": True, "unique": False,
                    "primary_key": True, "default": None, "annotations": []}, Column)
    assert ts == Column(name="ts", data_type=DateTime(), primary_key=True)


def test_unknown_table_key_is_rejected_with_its_name() -> None:
    with pytest.raises(Exception, match="unknown key"):
        from_json({"name": "t", "columns": [], "colour": "red"}, Table)
