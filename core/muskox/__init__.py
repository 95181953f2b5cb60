"""muskox: schema migrations for ClickHouse and Kafka/Redpanda, as a pluggable Python framework.

The public API is re-exported here; heavy modules are imported only when their names are first used, so
``import muskox`` (and the CLI's start-up) stays fast.
"""

from __future__ import annotations

from muskox._version import __version__
from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.hookspecs import hookimpl

__all__ = ["ExitCode", "MuskoxError", "__version__", "hookimpl"]
