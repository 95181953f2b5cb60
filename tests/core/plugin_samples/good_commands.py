"""A well-behaved sample plugin registering one command and one OLAP backend."""

import attrs
import click

from muskox import hookimpl
from muskox.model.operations import Operation
from muskox.plugin.interfaces import OlapBackend, StateStore, StreamBackend


@click.command("sample-hello")
def hello() -> None:
    click.echo("hello from the sample plugin")


class SampleBackend(OlapBackend):
    @classmethod
    def dialect(cls):
        from muskox_clickhouse.dialect import CLICKHOUSE  # a ClickHouse-compatible sample database

        return CLICKHOUSE

    @classmethod
    def from_config(cls, config, *, url=None):
        return cls()

    def server_version(self) -> str:
        return "sample-1.0"

    def close(self) -> None:
        pass


@hookimpl
def muskox_register_commands(register):
    register("sample-hello", hello)


@hookimpl
def muskox_register_olap_backends(register):
    register("sample", SampleBackend)


class SampleStream(StreamBackend):
    @classmethod
    def from_config(cls, config, *, url=None):
        return cls()

    def list_topics(self) -> list[str]:
        return ["sample-topic"]

    def introspect(self, names=None):
        return {}

    def apply(self, operation) -> None:
        pass

    def close(self) -> None:
        pass


class SampleStore(StateStore):
    @classmethod
    def from_config(cls, config, *, dialect, project_dir=None):
        return cls()

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


@attrs.frozen(kw_only=True)
class SampleOperation(Operation):
    thing: str

    def subject(self):
        return (None, self.thing)

    def describe(self) -> str:
        return f"Sampling {self.thing}"


@hookimpl
def muskox_register_operations(register):
    register("SampleOperation", SampleOperation)


@hookimpl
def muskox_register_stream_backends(register):
    register("sample", SampleStream)


@hookimpl
def muskox_register_state_stores(register):
    register("sample", SampleStore)
