"""The Moose-style projects under ``tests/fixtures/moose_projects`` and what each declares (shared by the
collection tests and the end-to-end tests)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import attrs

PROJECTS_DIR = Path(__file__).parent / "fixtures" / "moose_projects"


@attrs.frozen
class MooseProject:
    """One project: its directory, the interpreter it needs, and the databases its code uses."""

    name: str
    min_python: tuple[int, int] = (3, 11)
    needs: str | None = None
    """What the project needs of a server beyond the embedded test server (None: nothing)."""

    @property
    def path(self) -> Path:
        """The project directory."""
        return PROJECTS_DIR / self.name

    def config(self) -> dict[str, object]:
        """``moose.config.toml``."""
        return tomllib.loads((self.path / "moose.config.toml").read_text())

    @property
    def db_name(self) -> str:
        """``clickhouse_config.db_name``."""
        section = self.config().get("clickhouse_config")
        assert isinstance(section, dict)
        return str(section.get("db_name", "local"))

    @property
    def additional_databases(self) -> list[str]:
        """``clickhouse_config.additional_databases``."""
        section = self.config().get("clickhouse_config")
        assert isinstance(section, dict)
        return [str(d) for d in section.get("additional_databases", [])]

    @property
    def runs_here(self) -> bool:
        """True when this interpreter can import the project."""
        return sys.version_info[:2] >= self.min_python


PROJECTS = (
    MooseProject("foo_bar_pipelines"),
    MooseProject("web_analytics"),
    MooseProject("aggregations"),
    MooseProject("multi_database"),
    MooseProject("geo_and_json"),
    MooseProject("webapp_and_workflows"),
    MooseProject("kafka_s3_integrations", needs="Kafka and S3Queue tables (the embedded server refuses them), a "
                 "reachable S3 bucket (IcebergS3) and a cluster named 'default' (Distributed)"),
    MooseProject("dictionaries_and_sql"),
    MooseProject("clickstream_lake"),
    MooseProject("py312_type_aliases", min_python=(3, 12)),
    MooseProject("sharded_analytics", needs="the clusters 'muskox_test' and 'muskox_replicas' with a Keeper "
                 "(Replicated engines, ON CLUSTER): tests/cluster runs it on the three-node cluster"),
)


def project(name: str) -> MooseProject:
    """The project called ``name``."""
    return next(p for p in PROJECTS if p.name == name)
