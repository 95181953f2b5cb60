"""Python source for tables of integration engines (Kafka, S3Queue, S3, Buffer, Distributed, IcebergS3, Merge)
and for the credentials a database hides.

A server reports credentials as ``[HIDDEN]``; a pulled declaration never invents them: each becomes
``moose_runtime_env.get("<TABLE>_<FIELD>")``, read from the environment when a statement that needs it runs
(comparison masks credentials on both sides, so the next ``plan`` is empty without the variable being set).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from muskox.model.engines import HIDDEN, IntegrationEngine, is_secret_setting

__all__ = ["INTEGRATION_CLASSES", "RUNTIME_ENV_IMPORT", "env_name", "integration_source", "settings_source",
           "value_source"]

INTEGRATION_CLASSES: dict[str, str] = {
    "Kafka": "KafkaEngine", "S3Queue": "S3QueueEngine", "S3": "S3Engine", "Buffer": "BufferEngine",
    "Distributed": "DistributedEngine", "IcebergS3": "IcebergS3Engine", "Merge": "MergeEngine",
}
"""Moose's engine name → its declaration class."""

RUNTIME_ENV_IMPORT = "from muskox.declare.moose_runtime import moose_runtime_env"
"""The import a module needs when it holds a placeholder."""


def env_name(*parts: str) -> str:
    """``("shop", "raw events", "aws_secret_access_key")`` → ``SHOP_RAW_EVENTS_AWS_SECRET_ACCESS_KEY``."""
    joined = "_".join(re.sub(r"\W+", "_", part, flags=re.ASCII).strip("_") for part in parts)
    return joined.upper() or "MUSKOX_SECRET"


def value_source(value: object, variable: str) -> str:
    """``value`` as Python source; a hidden credential as a ``moose_runtime_env.get(variable)`` placeholder."""
    if value == HIDDEN:
        return f"moose_runtime_env.get({variable!r})"
    return repr(value)


def integration_source(engine: IntegrationEngine, env_prefix: str) -> str:
    """The declaration of ``engine`` (``KafkaEngine(broker_list='…', …)``): unset fields left out, ``headers``
    as a dict, every credential (hidden by the server or not) a placeholder named ``<env_prefix>_<FIELD>``."""
    arguments = []
    for key, value in engine.fields:
        if value is None:
            continue
        if isinstance(value, tuple) and all(isinstance(pair, tuple) and len(pair) == 2 for pair in value):
            value = dict(value)
        if key in engine.secrets:  # even one the server shows (an access key id) is not written into code
            value = HIDDEN
        arguments.append(f"{key}={value_source(value, env_name(env_prefix, key))}")
    return f"{INTEGRATION_CLASSES[engine.name]}({', '.join(arguments)})"


def settings_source(settings: Mapping[str, str], env_prefix: str) -> str:
    """Table settings as a dict literal; a credential (``kafka_sasl_password``) as a placeholder."""
    items = [(key, HIDDEN if is_secret_setting(key) else value) for key, value in settings.items()]
    return "{" + ", ".join(f"{key!r}: {value_source(value, env_name(env_prefix, key))}" for key, value in items) + "}"
