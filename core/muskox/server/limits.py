"""The limits of ``muskox prod``'s HTTP server: how deep a posted JSON document may nest, how long an idle
connection is kept, how many requests are served at once.

The idle timeout and the thread cap come from the environment (``MUSKOX_HTTP_IDLE_SECONDS``, default 30;
``MUSKOX_HTTP_MAX_THREADS``, default 32), read when the server starts.
"""

from __future__ import annotations

import math
import os
from typing import Any

MAX_JSON_DEPTH = 100
"""The deepest nesting of arrays and objects a posted document may have (an InfraMap needs about 10)."""
ENV_IDLE = "MUSKOX_HTTP_IDLE_SECONDS"
ENV_THREADS = "MUSKOX_HTTP_MAX_THREADS"
DEFAULT_IDLE = 30.0
DEFAULT_THREADS = 32


def _number(name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and low <= value <= high else default


def idle_seconds() -> float:
    """Seconds a connection may stay silent (before or between requests) before it is closed."""
    return _number(ENV_IDLE, DEFAULT_IDLE, 0.01, 3600.0)


def max_threads() -> int:
    """Requests served at once; further connections get 503 at once."""
    return int(_number(ENV_THREADS, DEFAULT_THREADS, 1, 4096))


def too_deep(document: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``document`` (parsed JSON) nests arrays and objects more than ``limit`` deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
