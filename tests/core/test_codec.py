"""The model's JSON codec: Moose's files read and write back, and every generated table round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given

from muskox.model import Column, InfraMap, Table
from muskox.model.codec import model_codec
from muskox.model.types import DateTime, LowCardinality, Simple
from muskox.testing.strategies import tables
from muskox_clickhouse.dialect import CLICKHOUSE

CODEC = model_codec(CLICKHOUSE)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "moose-cli-0.6.533" / "snapshot-mode"
MOOSE_FILES = sorted(FIXTURES.glob("*/*.json"))
HASHES = {"engine_params_hash", "table_settings_hash"}


@given(tables())
def test_tables_round_trip_through_json(table: Table) -> None:
    assert CODEC.from_json(json.loads(json.dumps(CODEC.to_json(table))), Table) == table


def test_the_moose_fixtures_exist() -> None:
    assert len(MOOSE_FILES) == 4


@pytest.mark.parametrize("path", MOOSE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_moose_written_maps_read_and_write_back_identically(path: Path) -> None:
    original = json.loads(path.read_text())
    infra = CODEC.from_json(original, InfraMap)
    written = CODEC.to_json(infra)
    assert set(written["tables"]) == set(original["tables"])
    for key, table in original["tables"].items():
        assert {k: v for k, v in table.items() if k not in HASHES} == written["tables"][key]
    assert written["views"] == original["views"]
    assert written["materialized_views"] == original["materialized_views"]
    assert CODEC.from_json(written, InfraMap) == infra


def test_moose_column_encoding_maps_to_the_model() -> None:
    column = CODEC.from_json({"name": "kind", "data_type": "String", "required": False, "unique": False,
                        "primary_key": False, "default": None, "annotations": [["LowCardinality", True]]}, Column)
    assert column == Column(name="kind", data_type=LowCardinality(Simple("String")), nullable=True)
    ts = CODEC.from_json({"name": "ts", "data_type": "DateTime", "required": True, "unique": False,
                    "primary_key": True, "default": None, "annotations": []}, Column)
    assert ts == Column(name="ts", data_type=DateTime(), primary_key=True)


def test_unknown_table_key_is_rejected_with_its_name() -> None:
    with pytest.raises(Exception, match="unknown key"):
        CODEC.from_json({"name": "t", "columns": [], "colour": "red"}, Table)


class RecordingTypeText:
    """A dialect's type text that writes ``<repr>`` and remembers what it was asked."""

    def __init__(self) -> None:
        self.rendered: list[object] = []
        self.parsed: list[str] = []

    def render_type(self, data_type: object) -> str:
        self.rendered.append(data_type)
        return f"<{data_type!r}>"

    def parse_type(self, text: str) -> object:
        self.parsed.append(text)
        return DateTime("UTC") if text == "<DateTime(timezone='UTC')>" else Simple("Unknown")


@pytest.mark.parametrize("moose", ["Int64", "Boolean", "Date", "Date16", "DateTime", "DateTime(3)", "Json",
                                   "Decimal(10, 2)", "FixedString(16)", "UUID", "Float64"])
def test_moose_vocabulary_never_reaches_the_dialect(moose: str) -> None:
    text = RecordingTypeText()
    types = model_codec(text).types  # type: ignore[arg-type]
    assert types.encode(types.decode(moose)) == moose
    assert text.rendered == [] and text.parsed == []


def test_what_moose_cannot_encode_is_the_dialects_text() -> None:
    text = RecordingTypeText()
    types = model_codec(text).types  # type: ignore[arg-type]
    assert types.encode(DateTime("UTC")) == "<DateTime(timezone='UTC')>"
    assert types.decode("<DateTime(timezone='UTC')>") == DateTime("UTC")
    assert text.rendered == [DateTime("UTC")] and text.parsed == ["<DateTime(timezone='UTC')>"]
