"""Moose's column objects: ``table.cols.user_id``, ``Model.user_id`` on a ``MooseModel``, ``Columns[T]``.

Projects use them to write SQL that stays right when a column is renamed:
``f"SELECT {events.cols.user_id} FROM {events.name}"`` puts `` `user_id` `` in the text. A :class:`Column` carries
the column as Moose describes it (its ``data_type`` in Moose's JSON encoding); formatting it gives the quoted name.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs

from muskox.declare.config_checks import config_class
from muskox.declare.registry import declaring_codec, quote_identifier
from muskox.model import table as model


@config_class
@attrs.define(kw_only=True)
class Column:
    """One column as Moose describes it; ``str(column)`` and ``f"{column}"`` are its quoted name."""

    name: str
    data_type: Any
    required: bool
    unique: bool
    primary_key: bool
    default: str | None = None
    annotations: list[Any] = attrs.field(factory=list)
    ttl: str | None = None
    codec: str | None = None
    materialized: str | None = None
    alias: str | None = None
    comment: str | None = None

    @classmethod
    def of(cls, column: model.Column) -> Column:
        """The Moose description of a model column."""
        encoded = declaring_codec().unstructure_column(column)
        fields: dict[str, Any] = {a.name: encoded.get(a.name) for a in attrs.fields(cls) if a.name in encoded}
        return cls(**fields)

    def to_expr(self) -> Any:
        """The column as a query-builder expression."""
        from muskox.declare.moose_runtime import ColumnRef

        return ColumnRef(self)

    def __str__(self) -> str:
        return quote_identifier(self.name)

    def __format__(self, format_spec: str) -> str:
        return quote_identifier(self.name)


class Cols:
    """Column access by attribute or key: ``table.cols.user_id``, ``table.cols["user_id"]``."""

    def __init__(self, columns: list[Column]) -> None:
        self._columns = {c.name: c for c in columns}

    def __getattr__(self, item: str) -> Column:
        columns = self.__dict__.get("_columns", {})
        if item in columns:
            return columns[item]  # type: ignore[no-any-return]
        raise AttributeError(f"{item} is not a valid column name")

    def __getitem__(self, item: str) -> Column:
        return self.__getattr__(item)

    def __iter__(self) -> Any:
        return iter(self._columns.values())


class ColsNamespace(Cols):
    """``Model.cols`` of a ``MooseModel``: the columns, also as attributes."""

    def __init__(self, columns: list[Column]) -> None:
        super().__init__(columns)
        for column in columns:
            setattr(self, column.name, column)

    def __getitem__(self, item: str) -> Column:
        if item not in self._columns:
            raise KeyError(f"{item} is not a valid column name")
        return self._columns[item]


class Columns:
    """Deprecated (use ``cols``): ``Columns(Model).user_id`` is the field name ``"user_id"``, checked."""

    def __init__(self, model: type) -> None:
        from muskox.declare.fields import schema_fields

        warnings.warn("Columns is deprecated; use table.cols", DeprecationWarning, stacklevel=2)
        self._fields = {f.name for f in schema_fields(model)}

    def __class_getitem__(cls, item: Any) -> type[Columns]:
        """``Columns[Model](Model)``, as Moose writes it."""
        return cls

    def __getattr__(self, item: str) -> str:
        if item in self.__dict__.get("_fields", ()):
            return item
        raise AttributeError(f"{item} is not a valid column name")


def moose_columns(columns: tuple[model.Column, ...]) -> list[Column]:
    """The Moose descriptions of model columns, in order."""
    return [Column.of(c) for c in columns]
