"""The interface classes plugins implement, chosen by name from configuration.

A plugin registers a subclass through a registration hook (see :mod:`muskox.hookspecs`); the core builds
instances with the class method ``from_config`` and talks to them only through the methods below. Drivers
are imported inside the implementations, never at module level, so the CLI starts fast.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar, Self

if TYPE_CHECKING:
    from muskox.config import Config


class _Connection(abc.ABC):
    """Something holding connections: closed explicitly or as a context manager."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. Safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class OlapBackend(_Connection):
    """A database of tables, views and materialized views (ClickHouse)."""

    #: A short description shown by ``muskox plugins``.
    description: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        """Connect using ``config`` (``url`` from a command-line flag wins over the file)."""

    @abc.abstractmethod
    def server_version(self) -> str:
        """The server's version string; raises :class:`muskox.errors.ConnectionFailed` when unreachable."""


class StreamBackend(_Connection):
    """A Kafka-protocol broker holding topics (Kafka, Redpanda)."""

    description: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Config, *, url: str | None = None) -> Self:
        """Connect using ``[redpanda_config]`` (``url`` from a command-line flag wins)."""

    @abc.abstractmethod
    def list_topics(self) -> list[str]:
        """Names of the non-internal topics on the broker."""


class StateStore(_Connection):
    """Keeps the last applied state and the migration lock (KeeperMap table, Redis, a file, ...)."""

    description: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Config) -> Self:
        """Open the store described by ``config`` (section ``[state_config]`` and the store's own section)."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Check that the store is reachable; raises :class:`muskox.errors.ConnectionFailed` otherwise."""
