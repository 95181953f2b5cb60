"""Operations as people see them (``plan --sql``): credentials written as ``[HIDDEN]``, as in every file."""

from __future__ import annotations

import attrs

from muskox.model.engines import IntegrationEngine, mask_settings
from muskox.model.operations import CreateTable, ModifyTableSettings, Operation

__all__ = ["masked_operation"]


def masked_operation(operation: Operation) -> Operation:
    """``operation`` with an integration engine's credentials and secret table settings hidden."""
    from muskox_clickhouse.dictionary_sql import masked_dictionary_operation

    operation = masked_dictionary_operation(operation)
    if isinstance(operation, CreateTable):
        table = operation.table
        engine = table.engine.masked() if isinstance(table.engine, IntegrationEngine) else table.engine
        return attrs.evolve(operation, table=attrs.evolve(table, engine=engine, settings=mask_settings(table.settings)))
    if isinstance(operation, ModifyTableSettings):
        return attrs.evolve(operation, before_settings=None if operation.before_settings is None
                            else mask_settings(operation.before_settings),
                            after_settings=None if operation.after_settings is None
                            else mask_settings(operation.after_settings))
    return operation
