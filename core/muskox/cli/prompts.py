"""Questions asked at a terminal while generating a plan (renames, destructive operations, version bumps)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import click

from muskox.plan.policies.destructive import Finding
from muskox.plan.policies.renames import RenameProposal
from muskox.plan.policies.version_bumps import BumpDecision, VersionBump, next_version


class TerminalPrompter:
    """Asks on stderr/stdin with click; defaults are the safe answers."""

    def confirm_rename(self, proposal: RenameProposal, index: int, count: int) -> Literal["y", "n", "c"]:
        """``[y] rename (default)``, ``[n] drop + recreate instead``, ``[c] cancel``."""
        click.echo(f"Rename detected ({index}/{count}): {proposal.before.name} → {proposal.after.name} "
                   f"in {proposal.table}", err=True)
        answer: Literal["y", "n", "c"] = click.prompt("  [y] rename  [n] drop + add instead  [c] cancel",
                                                      default="y", err=True, show_choices=False,
                                                      type=click.Choice(["y", "n", "c"]))
        return answer

    def confirm_destructive(self, findings: Sequence[Finding]) -> bool:
        """A red DANGER banner listing every destructive operation; the default is No."""
        click.secho("DANGER: this plan can lose data:", fg="red", bold=True, err=True)
        for finding in findings:
            click.secho(f"  ! {finding.description}", fg="red", err=True)
        click.echo("Safer option: declare the next version of the table and migrate gradually.", err=True)
        return click.confirm("Are you sure you want to continue?", default=False, err=True)

    def decide_bump(self, bump: VersionBump, backfill_problem: str | None) -> BumpDecision:
        """Backfill (default yes, when eligible) and, in place, keep the old table (default no)."""
        click.echo(f"Version bump: {bump.old.name} → {bump.new.name}", err=True)
        if backfill_problem:
            click.echo(f"  {backfill_problem}", err=True)
            backfill = False
        else:
            backfill = click.confirm(f"  Backfill data from {bump.old.name} into {bump.new.name}?", default=True,
                                     err=True)
        retain = bump.in_place and click.confirm(
            f"  Keep old table {bump.old.name}? (declare it EXTERNALLY_MANAGED, e.g. as version "
            f"\"{bump.old.version or next_version(None)}\")", default=False, err=True)
        return BumpDecision(backfill=backfill, retain_old=retain)
