"""The ``redis`` state store: the last applied state and the migration lock, kept in Redis.

Keys follow Moose (spec 9.2): ``<key_prefix>::<name>``; state written under ``key_prefix`` is read back
from ``last_key_prefix`` so that it carries across deployments that change the prefix.

redis-py is imported when the store is opened, not when this module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from muskox.errors import ConfigError, ConnectionFailed, PluginError
from muskox.interfaces import StateStore
from muskox.masking import mask_text, mask_url

if TYPE_CHECKING:
    from muskox.config import Config

#: Seconds to connect, and to wait for each reply, before the server counts as unreachable.
DEFAULT_TIMEOUT = 5.0
KEY_SEPARATOR = "::"


class RedisStateStore(StateStore):
    """State and migration lock in a Redis server (``[redis_config]``)."""

    description = "state and migration lock in Redis ([redis_config] url, key_prefix)"

    def __init__(self, client: Any, *, url: str, key_prefix: str = "MS", last_key_prefix: str = "MS") -> None:
        """Wrap an open ``redis.Redis`` ``client``; ``url`` is only used (masked) in messages."""
        self.client = client
        self.url = url
        self.key_prefix = key_prefix
        self.last_key_prefix = last_key_prefix
        self._closed = False

    @classmethod
    def from_config(cls, config: Config, *, timeout: float = DEFAULT_TIMEOUT) -> Self:
        """Open the store described by ``[redis_config]`` (url, key_prefix, last_key_prefix).

        Nothing is contacted yet: call :meth:`ping` to check the server. A URL redis-py cannot read is a
        :class:`muskox.errors.ConfigError`.
        """
        section = config.redis_config
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            raise PluginError("the redis state store needs redis-py, which is not installed",
                              "pip install muskox-state-redis (or pip install redis)") from exc
        try:
            client = redis.Redis.from_url(
                section.url,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=Retry(NoBackoff(), 1),
            )
        except ValueError as exc:
            raise ConfigError(
                f"redis_config.url '{mask_url(section.url)}' is not a valid Redis URL: {mask_text(str(exc))}",
                "write it as redis://[user:password@]host:port[/db] (rediss:// for TLS, unix:///path.sock)",
            ) from None
        return cls(client, url=section.url, key_prefix=section.key_prefix,
                   last_key_prefix=section.last_key_prefix)

    def key(self, name: str) -> str:
        """The Redis key this store writes for ``name``: ``<key_prefix>::<name>``."""
        return f"{self.key_prefix}{KEY_SEPARATOR}{name}"

    def last_key(self, name: str) -> str:
        """The key the previous deployment wrote for ``name``: ``<last_key_prefix>::<name>``."""
        return f"{self.last_key_prefix}{KEY_SEPARATOR}{name}"

    def ping(self) -> None:
        """Check that the server answers and accepts the credentials; else :class:`ConnectionFailed`."""
        import redis

        try:
            self.client.ping()
        except redis.AuthenticationError as exc:
            raise ConnectionFailed(
                f"Redis at {mask_url(self.url)} refused the credentials ({mask_text(str(exc))})",
                "check the user name and password in redis_config.url (MUSKOX_REDIS_CONFIG__URL)",
            ) from None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise ConnectionFailed(
                f"cannot reach Redis at {mask_url(self.url)} ({mask_text(str(exc))})",
                "start Redis, or point redis_config.url (MUSKOX_REDIS_CONFIG__URL) at a running server",
            ) from None
        except redis.ResponseError as exc:
            raise ConnectionFailed(
                f"Redis at {mask_url(self.url)} rejected PING ({mask_text(str(exc))})",
                "check that redis_config.url names a Redis server and that its user may run PING",
            ) from None

    def close(self) -> None:
        """Close the client's connections. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self.client.close()
