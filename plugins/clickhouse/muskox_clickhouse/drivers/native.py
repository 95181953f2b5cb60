"""The native protocol through asynch, run on a private event loop in a background thread.

The loop lives in its own daemon thread, so the synchronous methods work whether or not the caller's thread
already runs an event loop. asynch is imported with this module: import it only when needed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import asynch
from asynch.errors import (
    ErrorCode,
    NetworkError,
    ServerException,
    SocketTimeoutError,
    UnexpectedPacketFromServerError,
)

from muskox.errors import MuskoxError
from muskox_clickhouse.client import ClickHouseClient, Settings
from muskox_clickhouse.errors import server_error, transport_error, wrong_port
from muskox_clickhouse.url import ClickHouseUrl

T = TypeVar("T")

# asynch logs each failed connection attempt; keep that off stderr (our error says it once, masked).
logging.getLogger("asynch").addHandler(logging.NullHandler())

_GRACE = 5.0


@functools.cache
def _error_names() -> dict[int, str]:
    return {value: name for name, value in vars(ErrorCode).items() if isinstance(value, int)}


class _LoopThread:
    """An event loop running forever in a daemon thread; coroutines are submitted from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="muskox-clickhouse-native",
                                        daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer within {timeout:g} s") from None

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(_GRACE)
        if not self._thread.is_alive():
            self.loop.close()


class NativeClient(ClickHouseClient):
    """An asynch connection; ``SET`` lasts for the connection's lifetime."""

    def __init__(self, url: ClickHouseUrl, *, use_database: bool, connect_timeout: float,
                 query_timeout: float) -> None:
        super().__init__(url, use_database=use_database, connect_timeout=connect_timeout,
                         query_timeout=query_timeout)
        self._conn: Any = asynch.connect(
            host=url.host, port=url.port, user=url.user, password=url.password,
            database=url.database if use_database else "", secure=url.secure, verify=url.verify,
            connect_timeout=connect_timeout, send_receive_timeout=query_timeout,
        )
        self._loop: _LoopThread | None = _LoopThread()
        try:
            self._run(self._conn.connect(), connect_timeout)
        except BaseException:
            self.close()
            raise

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError(f"the ClickHouse client for {self.url.masked()} is closed")
        try:
            return self._loop.run(coro, timeout + _GRACE)
        except ServerException as exc:
            raise self._server_error(exc) from exc
        except UnexpectedPacketFromServerError as exc:  # not ClickHouse's native protocol: the HTTP port?
            raise wrong_port(self.url) from exc
        except (NetworkError, SocketTimeoutError, OSError, TimeoutError) as exc:
            raise transport_error(self.url, exc, timeout=timeout) from exc

    def _server_error(self, exc: ServerException) -> MuskoxError:
        code = int(exc.code or 0)
        return server_error(self.url, code, str(getattr(exc, "message", "") or exc), name=_error_names().get(code))

    async def _execute(self, sql: str, settings: Settings | None, fetch: bool) -> list[tuple[Any, ...]]:
        async with self._conn.cursor() as cursor:
            if settings:
                cursor.set_settings(dict(settings))
            await cursor.execute(sql)
            if not fetch:
                return []
            return [tuple(row) for row in await cursor.fetchall()]

    def query(self, sql: str, *, settings: Settings | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows as tuples."""
        return self._run(self._execute(sql, settings, fetch=True), self.query_timeout)

    def command(self, sql: str, *, settings: Settings | None = None) -> None:
        """Run one statement for its effect."""
        self._run(self._execute(sql, settings, fetch=False), self.query_timeout)

    def close(self) -> None:
        """Close the connection and stop the private event loop. Safe to call twice."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            with contextlib.suppress(Exception):  # closing a broken connection must not hide what broke it
                loop.run(self._conn.close(), _GRACE)
        finally:
            loop.close()
