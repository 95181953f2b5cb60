"""The Moose names that are pydantic models: ``MooseModel`` (a ``BaseModel`` whose class attributes are its
columns) and ``DeadLetterModel`` (a dead-letter queue's record). Imported only when a project uses them, since
muskox itself never needs pydantic."""

from __future__ import annotations

import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasGenerator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from muskox.declare.moose_columns import ColsNamespace, moose_columns
from muskox.declare.schema import columns_of

T = TypeVar("T")


class MooseModelMeta(type(BaseModel)):  # type: ignore[misc]
    """Gives each ``MooseModel`` class its columns as class attributes (``User.user_id``) and ``cols``."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        if name != "MooseModel" and getattr(cls, "model_fields", None):
            columns = moose_columns(columns_of(cls))
            for column in columns:
                setattr(cls, column.name, column)
            cls.cols = ColsNamespace(columns)
        return cls


class MooseModel(BaseModel, metaclass=MooseModelMeta):
    """A pydantic model whose class attributes are its columns, for SQL text:
    ``f"SELECT {User.email:col} FROM users"``; instances behave as any pydantic model."""


class DeadLetterModel(BaseModel, Generic[T]):
    """A dead-letter record: the record that failed, the error, and where and when it failed."""

    model_config = ConfigDict(alias_generator=AliasGenerator(serialization_alias=to_camel))

    original_record: Any
    error_message: str
    error_type: str
    failed_at: datetime.datetime
    source: Literal["api", "transform", "table"]

    def as_typed(self) -> Any:
        """The failed record as its model (``T``)."""
        model = getattr(self, "_t", None)
        return self.original_record if model is None else model.model_validate(self.original_record)
