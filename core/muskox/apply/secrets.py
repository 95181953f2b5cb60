"""Credentials put back into operations just before they run.

Files never hold a credential: an integration engine's keys (S3's ``aws_secret_access_key``, …) and secret table
settings (``kafka_sasl_password``, …) are written as ``[HIDDEN]``, as Moose writes them. When an operation read
from a file runs, each hidden value is taken from the code (the same table, collected now), and a value the code
gives as ``moose_runtime_env.get("NAME")`` (the marker ``__MOOSE_RUNTIME_ENV__:NAME``) is read from the environment
variable ``NAME``. The operation the executor reports, times and records stays the masked one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.model.engines import HIDDEN, IntegrationEngine, is_secret_setting
from muskox.model.infra_map import InfraMap
from muskox.model.operations import CreateDictionary, CreateTable, ModifyTableSettings, Operation, ReplaceDictionary
from muskox.model.table import Table

__all__ = ["RUNTIME_ENV_PREFIX", "MissingSecret", "restore_secrets", "with_secrets"]

RUNTIME_ENV_PREFIX = "__MOOSE_RUNTIME_ENV__:"
"""The marker ``moose_runtime_env.get(NAME)`` leaves in a declaration: the value is read from ``NAME`` at run time."""


class MissingSecret(MuskoxError):
    """A credential the operation needs is neither in the code nor in the environment."""

    exit_code = ExitCode.PLAN_INVALID


def _resolve(value: object, where: str) -> object:
    if isinstance(value, str) and value.startswith(RUNTIME_ENV_PREFIX):
        name = value[len(RUNTIME_ENV_PREFIX):]
        resolved = os.environ.get(name)
        if resolved is None:
            raise MissingSecret(f"{where} comes from the environment variable {name}, which is not set",
                                f"set {name} in the environment muskox runs in")
        return resolved
    return value


def _code_table(table_name: str, database: str | None, target: InfraMap) -> Table | None:
    default = target.default_database
    return next((t for t in target.tables.values()
                 if t.name == table_name and (t.database or default) == (database or default)), None)


def _hidden(table_name: str, what: str) -> MissingSecret:
    return MissingSecret(f"table '{table_name}': {what} is [HIDDEN] in the plan and the code does not declare it",
                         "declare the table with its credentials in the code (moose_runtime_env.get(...) for values "
                         "from the environment), then migrate again")


def _engine(table: Table, code: Table | None) -> IntegrationEngine | None:
    engine = table.engine
    if not isinstance(engine, IntegrationEngine):
        return None
    known = dict(code.engine.fields) if code is not None and isinstance(code.engine, IntegrationEngine) \
        and code.engine.name == engine.name else {}
    fields: list[tuple[str, object]] = []
    for key, value in engine.fields:
        if value == HIDDEN:
            if key not in known or known[key] in (None, HIDDEN):
                raise _hidden(table.name, f"engine parameter {key}")
            value = known[key]
        fields.append((key, _resolve(value, f"table '{table.name}': engine parameter {key}")))
    return attrs.evolve(engine, fields=tuple(fields))


def _settings(table_name: str, settings: Mapping[str, str], code: Table | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in settings.items():
        if value == HIDDEN and is_secret_setting(key):
            if code is None or code.settings.get(key) in (None, HIDDEN):
                raise _hidden(table_name, f"setting {key}")
            value = code.settings[key]
        resolved = _resolve(value, f"table '{table_name}': setting {key}")
        result[key] = str(resolved)
    return result


def _needs_restoring(operation: Operation) -> bool:
    def secret(value: object) -> bool:
        return value == HIDDEN or (isinstance(value, str) and value.startswith(RUNTIME_ENV_PREFIX))

    if isinstance(operation, CreateTable):
        engine = operation.table.engine
        return any(secret(v) for v in operation.table.settings.values()) or (
            isinstance(engine, IntegrationEngine) and any(secret(v) for _, v in engine.fields))
    if isinstance(operation, ModifyTableSettings):
        return any(secret(v) for v in (operation.after_settings or {}).values())
    return False


def restore_secrets(operation: Operation, target: Callable[[], InfraMap]) -> Operation:
    """``operation`` with its hidden credentials taken from the code (``target()``, called only when one is
    hidden) and its ``moose_runtime_env`` markers read from the environment.

    :raises MissingSecret: a hidden value the code does not give, or an environment variable that is not set.
    """
    if isinstance(operation, CreateDictionary | ReplaceDictionary):
        from muskox.apply.dictionary_secrets import restore_dictionary_secrets

        return restore_dictionary_secrets(operation, target, lambda problem: MissingSecret(
            problem, "declare the dictionary's source with its credentials in the code (moose_runtime_env.get(...) "
                     "for a value from the environment), then migrate again"))
    if not _needs_restoring(operation):
        return operation
    if isinstance(operation, CreateTable):
        table = operation.table
        code = _code_table(table.name, table.database, target())
        engine = _engine(table, code)
        restored = attrs.evolve(table, settings=_settings(table.name, table.settings, code),
                                engine=engine if engine is not None else table.engine)
        return attrs.evolve(operation, table=restored)
    assert isinstance(operation, ModifyTableSettings)
    code = _code_table(operation.table, operation.database, target())
    return attrs.evolve(operation, after_settings=_settings(operation.table, operation.after_settings or {}, code))


def with_secrets(apply_one: Callable[[Operation], None],
                 target: Callable[[], InfraMap]) -> Callable[[Operation], None]:
    """``apply_one`` that runs each operation with its credentials restored (see :func:`restore_secrets`);
    ``target`` is called at most once, and only when an operation has a hidden value."""
    cache: list[InfraMap] = []

    def code() -> InfraMap:
        if not cache:
            cache.append(target())
        return cache[0]

    def run(operation: Operation) -> None:
        apply_one(restore_secrets(operation, code))

    return run
