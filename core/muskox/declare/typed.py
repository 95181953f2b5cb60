"""``OlapTable[Event](...)``: passing the schema class through the subscript, as Moose does.

A plain ``typing.Generic`` only records the type argument after ``__init__`` has run; declarations need it
while they are being constructed (to map and check the columns), so ``__class_getitem__`` returns a small
callable that passes it as the ``t=`` keyword.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, Union

T = TypeVar("T")
U = TypeVar("U")
T_none = TypeVar("T_none")
U_none = TypeVar("U_none")

ZeroOrMany = Union[T, list[T], None]  # noqa: UP007 - subscriptable as ZeroOrMany[Event], as in Moose
"""What a transform returns: one record, several, or None to drop the record."""


class ModelBound:
    """``Declaration[Model]``: calling it constructs ``Declaration(..., t=Model)``."""

    def __init__(self, origin: type, model: Any) -> None:
        self.__origin__ = origin
        self.__args__ = (model,)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Construct the declaration with the schema class."""
        if "t" in kwargs and kwargs["t"] is not self.__args__[0]:
            raise TypeError(f"{self!r}: t= conflicts with the subscript")
        kwargs["t"] = self.__args__[0]
        return self.__origin__(*args, **kwargs)

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        """Subclassing ``OlapTable[Event]`` subclasses ``OlapTable``."""
        return (self.__origin__,)

    def __repr__(self) -> str:
        model = self.__args__[0]
        return f"{self.__origin__.__name__}[{getattr(model, '__name__', model)}]"


class ModelTyped(Generic[T]):
    """Base of declarations parametrised by a schema class (``OlapTable[T]``, ``MaterializedView[T]``)."""

    name: str
    model_type: type[T]
    """The schema class."""

    @property
    def columns(self) -> Any:
        """Deprecated (Moose's first API; use ``table.cols``): the schema's field names by attribute."""
        from muskox.declare.moose_columns import Columns

        return Columns(self.model_type)

    def __class_getitem__(cls, item: Any) -> Any:
        """``Cls[Model]`` binds the schema class; type variables keep the usual generic alias."""
        if isinstance(item, TypeVar) or (isinstance(item, tuple) and any(isinstance(i, TypeVar) for i in item)):
            return super().__class_getitem__(item)  # type: ignore[misc]
        return ModelBound(cls, item)


BaseTypedResource = ModelTyped
"""Moose's name of the base of declarations typed by a schema class."""
TypedMooseResource = ModelTyped
"""Moose's name of the base of declarations whose columns come from a schema class."""
