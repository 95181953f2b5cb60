"""The installed distributions: `muskox plugins --json` lists the four plugins and the core's built-ins."""

from __future__ import annotations

import json

from muskox.model.operations import BUILTIN_OPERATIONS
from tests.conftest import CliRunner

EXPECTED = {
    "muskox.commands": ("muskox", {"commands": ["config", "db", "dev", "generate", "init", "lock", "logs", "ls",
                                                "migrate", "plan", "plugins", "prod"]}),
    "muskox.file_state": ("muskox", {"state_stores": ["file"]}),
    "muskox.operations": ("muskox", {"operations": sorted(BUILTIN_OPERATIONS)}),
    "clickhouse": ("muskox-clickhouse", {"commands": ["local"], "config_sections": ["clickhouse_config"],
                                         "olap_backends": ["clickhouse"]}),
    "redpanda": ("muskox-redpanda", {"config_sections": ["redpanda_config"],
                                     "operations": ["CreateTopic", "DropTopic", "IncreaseTopicPartitions",
                                                    "ModifyTopicConfig"], "stream_backends": ["redpanda"]}),
    "state-redis": ("muskox-state-redis", {"config_sections": ["redis_config"], "state_stores": ["redis"]}),
    "state-keeper": ("muskox-state-keeper", {"state_stores": ["clickhouse"]}),
}


def test_plugins_json_lists_the_four_plugins_and_the_builtins(run_muskox: CliRunner) -> None:
    result = run_muskox("plugins", "--json")
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    for name, (distribution, registers) in EXPECTED.items():
        assert listed[name]["distribution"] == distribution
        assert listed[name]["registers"] == registers
        assert listed[name]["version"]
    assert listed["muskox.commands"]["builtin"] is True
    assert json.loads(result.stdout)["warnings"] == []


def test_human_listing_names_each_distribution(run_muskox: CliRunner) -> None:
    result = run_muskox("plugins")
    assert result.returncode == 0, result.stderr
    for name, (distribution, _registers) in EXPECTED.items():
        assert name in result.stdout
        if distribution != "muskox":  # the built-ins are listed as "built-in"
            assert f"{distribution} 0.1.0" in result.stdout
