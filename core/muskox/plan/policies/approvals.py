"""Who decides: the ``--yes-*`` flags and ``MUSKOX_ACCEPT_*`` variables, or a person at a terminal.

Without a terminal and without an override, a decision that needs a person is an error that names the flag
to pass — a plan is never written with a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

import attrs

from muskox.errors import MuskoxError
from muskox.exit_codes import ExitCode
from muskox.plan.policies.destructive import Finding
from muskox.plan.policies.renames import RenameProposal
from muskox.plan.policies.version_bumps import BumpDecision, VersionBump

_TRUE = {"1", "true", "yes", "on"}


class ApprovalRequired(MuskoxError):
    """A destructive change, a rename or a version bump needs a decision nobody gave; nothing was written."""

    exit_code = ExitCode.DESTRUCTIVE_REFUSED


@attrs.frozen
class Approvals:
    """Overrides given up front (flags win over environment variables; either one approves)."""

    yes_all: bool = False
    yes_destructive: bool = False
    yes_rename: bool = False
    auto_backfill_sql: bool = True

    @classmethod
    def from_flags(cls, *, yes_all: bool, yes_destructive: bool, yes_rename: bool, no_auto_backfill_sql: bool,
                   env: Mapping[str, str]) -> Approvals:
        """Combine command-line flags with ``MUSKOX_ACCEPT_*`` (and Moose's ``MOOSE_ACCEPT_*``)."""

        def env_flag(name: str) -> bool:
            return any(env.get(f"{prefix}_{name}", "").strip().lower() in _TRUE for prefix in ("MUSKOX", "MOOSE"))

        every = yes_all or env_flag("ACCEPT_ALL")
        return cls(yes_all=every, yes_destructive=every or yes_destructive or env_flag("ACCEPT_DESTRUCTIVE"),
                   yes_rename=every or yes_rename or env_flag("ACCEPT_RENAME"),
                   auto_backfill_sql=not no_auto_backfill_sql)


class Prompter(Protocol):
    """Asks a person. The CLI implements it with terminal prompts; tests script it."""

    def confirm_rename(self, proposal: RenameProposal, index: int, count: int) -> Literal["y", "n", "c"]:
        """``y``: rename; ``n``: drop and add instead; ``c``: cancel the whole generation."""

    def confirm_destructive(self, findings: Sequence[Finding]) -> bool:
        """True to go on with these destructive operations."""

    def decide_bump(self, bump: VersionBump, backfill_problem: str | None) -> BumpDecision:
        """Backfill the new table? Keep the old one?"""
