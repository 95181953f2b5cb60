"""Installed entry points, remembered until something is installed or removed."""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path

import pytest

from muskox.entry_points import FoundEntryPoint, installed_entry_points


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "muskox" / "entry_points.json"


def from_metadata() -> list[FoundEntryPoint]:
    return [FoundEntryPoint.from_metadata(ep) for ep in importlib.metadata.entry_points(group="muskox")]


def test_the_answer_is_the_metadatas_and_is_read_back_from_the_cache(private_cache: Path) -> None:
    assert sorted(installed_entry_points("muskox")) == sorted(from_metadata())
    assert {ep.distribution for ep in installed_entry_points("muskox")} >= {"muskox-clickhouse", "muskox-redpanda"}
    stored = json.loads(private_cache.read_text())
    stored["entry_points"] = [["only", "x:y", "dist", "1"]]
    private_cache.write_text(json.dumps(stored))
    assert installed_entry_points("muskox") == [FoundEntryPoint("only", "x:y", "dist", "1")]


def test_installing_into_a_path_directory_reads_the_metadata_again(private_cache: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert "sample" not in {ep.name for ep in installed_entry_points("muskox")}  # now remembered
    dist_info = site / "sample_plugin-1.0.dist-info"
    dist_info.mkdir()  # what pip does: the directory's time changes
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: sample-plugin\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[muskox]\nsample = sample_plugin.plugin:hooks\n")
    status = site.stat()
    os.utime(site, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    found = {ep.name: ep for ep in installed_entry_points("muskox")}
    assert found["sample"] == FoundEntryPoint("sample", "sample_plugin.plugin:hooks", "sample-plugin", "1.0")


def test_an_unreadable_cache_file_is_ignored(private_cache: Path) -> None:
    private_cache.parent.mkdir(parents=True)
    private_cache.write_text("{not json")
    assert sorted(installed_entry_points("muskox")) == sorted(from_metadata())


def test_load_imports_the_module_and_follows_attributes() -> None:
    assert FoundEntryPoint("p", "os.path:join", "d", "1").load() is os.path.join
    assert FoundEntryPoint("p", "os:path.join [extra]", "d", "1").load() is os.path.join
    assert FoundEntryPoint("p", "json", "d", "1").load() is json
