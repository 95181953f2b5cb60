"""A state table whose Keeper data is gone (ClickHouse error 668), and its repair on the embedded server.

The embedded ClickHouse of ``muskox local`` keeps KeeperMap rows in an in-memory test keeper. After a restart the
table's metadata is still on disk but its Keeper path is empty, and every statement on the table fails with
``INVALID_STATE`` ("Failed to activate table because of invalid metadata in ZooKeeper"). The rows are gone for
good; what they held is recovered the way a lost store is: with no stored state, muskox reconciles from the
database and adopts what exists.

- On the embedded server (recognized by its ``displayName()``), a read treats the table as empty and the first
  write drops and recreates it, empty; one warning per process says so.
- On any other server the loss is not a restart artifact (a Keeper wiped or replaced): nothing is dropped
  automatically, and every use of the store stops with one line giving the statement to run.
"""

from __future__ import annotations

from muskox.state.errors import StateError
from muskox_clickhouse.errors import ClickHouseServerError

INVALID_STATE = 668
"""ClickHouse's error when a KeeperMap table's metadata in Keeper is missing or differs from the table's."""

LOST_TEXT = "metadata in ZooKeeper"


def keeper_data_lost(exc: ClickHouseServerError) -> bool:
    """True for the error a KeeperMap table raises once its Keeper data is gone."""
    return exc.code == INVALID_STATE and LOST_TEXT in exc.server_message


def is_embedded(display_name: str) -> bool:
    """True for the server ``muskox local`` runs (whose Keeper is in memory)."""
    from muskox_clickhouse.local.config_files import DISPLAY_NAME  # not at start-up: it loads an XML writer

    return display_name == DISPLAY_NAME


def lost_warning(table: str) -> str:
    """The one warning of a process that met the lost table on the embedded server."""
    return (f"the rows of the state table {table} were lost: the embedded ClickHouse keeps KeeperMap data in "
            "memory, so its restart emptied the table (ClickHouse error 668); muskox reads it as empty and "
            "recreates it empty at its first write (a `muskox migrate` or `muskox dev` does), and the state is "
            "re-established from the database, which is adopted as it is (in delta mode, record the files already "
            "applied again with `muskox migrate --mark-applied <id>`)")


def lost_error(table: str, where: str) -> StateError:
    """Elsewhere than on the embedded server: one line with the statements to run (exit 14)."""
    return StateError(
        f"the state table {table} on {where} has lost its Keeper data (ClickHouse error 668: its metadata in "
        "Keeper is missing, e.g. the Keeper was wiped or replaced); its rows are gone",
        f"run `DROP TABLE {table} SYNC` on the server, then `muskox migrate`: it recreates the table and "
        "re-establishes the state from the database",
    )
