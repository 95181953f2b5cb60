"""Recorded declarations: Moose's API paths, and the round trip of recorded resources through the infra map."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from muskox.declare.moose_encoding import consumption_path, ingest_path, with_version
from muskox.model.codec import model_codec
from muskox.model.infra_map import InfraMap
from muskox.model.recorded import SECTIONS, RecordedStatus, read_recorded
from muskox_clickhouse.dialect import CLICKHOUSE

from_json, to_json = model_codec(CLICKHOUSE).from_json, model_codec(CLICKHOUSE).to_json

segments = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=8)
paths = st.lists(segments, min_size=1, max_size=3).map("/".join)
versions = st.none() | st.from_regex(r"\A[0-9]{1,2}(\.[0-9]{1,2}){0,2}\Z")


@given(paths, versions)
def test_a_version_ends_the_path_exactly_once(path: str, version: str | None) -> None:
    result = with_version(path, version)
    if version is None:
        assert result == path
    else:
        assert result.endswith("/" + version) or result == version
        assert with_version(result, version) == result  # already there: unchanged


@given(segments, st.none() | paths, versions)
def test_ingest_paths_are_under_ingest(name: str, path: str | None, version: str | None) -> None:
    result = ingest_path(name, path, version)
    assert result.startswith("ingest/")
    if path is None:
        assert result == "/".join(["ingest", name, *([version] if version else [])])
    assert ingest_path(name, result, version) == result  # a path already under ingest/ keeps its place


@given(segments, st.none() | paths, versions)
def test_consumption_paths_default_to_the_name(name: str, path: str | None, version: str | None) -> None:
    result = consumption_path(name, path, version)
    assert result.startswith(path if path is not None else name)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                       max_size=3), max_leaves=8)


@st.composite
def recorded_entries(draw: st.DrawFn) -> tuple[str, str, dict[str, object]]:
    section = draw(st.sampled_from([s for s in SECTIONS if s != "tables"]))
    key = draw(segments)
    value = draw(st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4))
    value["name"] = key
    if section == "api_endpoints":
        value["api_type"] = {draw(st.sampled_from(["INGRESS", "EGRESS"])): {}}
        value["path"] = draw(paths)
    return section, key, value


@given(st.lists(recorded_entries(), max_size=6, unique_by=lambda e: (e[0], e[1])))
def test_recorded_resources_round_trip_through_the_infra_map(entries: list[tuple[str, str, dict[str, object]]]) -> None:
    infra = InfraMap.of("db", recorded=[read_recorded(section, key, value) for section, key, value in entries])
    encoded = json.loads(json.dumps(to_json(infra)))
    for section, key, value in entries:
        assert encoded[section][key] == value
    back = from_json(encoded, InfraMap)
    assert back == infra
    for resource in back.recorded.values():
        served = resource.section in ("api_endpoints", "web_apps", "workflows")
        assert resource.status is (RecordedStatus.SERVED_ELSEWHERE if served else RecordedStatus.NOT_YET)
