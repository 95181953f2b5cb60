"""The documented exit codes of the ``muskox`` command.

Scripts and CI pipelines may rely on these numbers; they never change meaning between releases.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes; the README's "Exit codes" table mirrors this enum."""

    OK = 0
    """The command did what was asked (for ``plan --exit-code``: there are no changes)."""
    FAILURE = 1
    """An unexpected error; a traceback was printed. Please report it."""
    USAGE = 2
    """The command line was wrong (unknown option, missing argument)."""
    CONFIG = 3
    """The configuration is invalid: a bad file, key, value or URL."""
    CONNECTION = 4
    """A server could not be reached, or refused the credentials."""
    PLUGIN = 5
    """A plugin is missing, misconfigured or conflicts with another plugin."""
    LOCAL_SERVER = 6
    """The embedded local ClickHouse could not be started or stopped."""
    PLAN_INVALID = 7
    """A plan or migration file is missing, malformed or inconsistent with the code."""
    DRIFT = 8
    """The database changed since the plan was generated, or an earlier run applied the plan part-way; nothing
    was executed."""
    LOCK_HELD = 9
    """Another migration holds the lock; nothing was executed."""
    DESTRUCTIVE_REFUSED = 10
    """A destructive change needs explicit approval; nothing was executed."""
    APPLY_FAILED = 11
    """An operation failed while applying; a report says exactly what ran."""
    CHANGES_PENDING = 12
    """``plan --exit-code`` only: the plan has changes to apply."""
    SERVER_ERROR = 13
    """A server rejected a statement; its error code and message were printed."""
    STATE_INVALID = 14
    """The stored state or applied list cannot be read (corrupt, or in a format this muskox does not know)."""
    INTERRUPTED = 130
    """The command was interrupted (Ctrl-C, SIGINT); a migration stopped part-way printed what ran."""
    TERMINATED = 143
    """The command was stopped by SIGTERM; a migration stopped part-way printed what ran."""
