"""Installed entry points: read from the metadata on every call, so an install or an edit is seen at once."""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path

import pytest

from muskox.plugin.entry_points import FoundEntryPoint, installed_entry_points


def from_metadata() -> list[FoundEntryPoint]:
    return [FoundEntryPoint.from_metadata(ep) for ep in importlib.metadata.entry_points(group="muskox")]


def test_the_answer_is_the_metadatas() -> None:
    assert sorted(installed_entry_points("muskox")) == sorted(from_metadata())
    assert {ep.distribution for ep in installed_entry_points("muskox")} >= {"muskox-clickhouse", "muskox-redpanda"}


def test_a_distribution_installed_or_edited_in_place_is_seen_by_the_next_call(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert "sample" not in {ep.name for ep in installed_entry_points("muskox")}
    dist_info = site / "sample_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: sample-plugin\nVersion: 1.0\n")
    entry_points = dist_info / "entry_points.txt"
    entry_points.write_text("[muskox]\nsample = sample_plugin.plugin:hooks\n")
    found = {ep.name: ep for ep in installed_entry_points("muskox")}
    assert found["sample"] == FoundEntryPoint("sample", "sample_plugin.plugin:hooks", "sample-plugin", "1.0")
    # an edit that keeps every directory's modification time (what a cache keyed on them would miss)
    times = [(p, p.stat()) for p in (site, dist_info)]
    entry_points.write_text("[muskox]\nsample = sample_plugin.other:hooks\n")
    for path, status in times:
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    found = {ep.name: ep for ep in installed_entry_points("muskox")}
    assert found["sample"].value == "sample_plugin.other:hooks"


def test_load_imports_the_module_and_follows_attributes() -> None:
    assert FoundEntryPoint("p", "os.path:join", "d", "1").load() is os.path.join
    assert FoundEntryPoint("p", "os:path.join [extra]", "d", "1").load() is os.path.join
    assert FoundEntryPoint("p", "json", "d", "1").load() is json
