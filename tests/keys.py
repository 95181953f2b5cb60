"""Tables of a map by Moose's file key (``<database>_<name>[_<version>]``), as tests name them."""

from __future__ import annotations

from muskox.model.infra_map import InfraMap, moose_table_key


def moose_keys(infra: InfraMap) -> list[str]:
    """The Moose keys of ``infra``'s tables, sorted."""
    return sorted(moose_table_key(t, infra.default_database) for t in infra.tables.values())
