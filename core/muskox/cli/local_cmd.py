"""``muskox local``: the embedded ClickHouse (placeholder until the launcher lands)."""

from __future__ import annotations

import click


@click.group("local")
def local_group() -> None:
    """Run a real ClickHouse 26.9 on loopback, from the chdb-core wheel (needs muskox[local])."""
