"""The postgres store passes muskox's state-store contract: one import, one fixture."""

from __future__ import annotations

import pytest

from muskox.config import Config, StateConfig
from muskox.testing.state_contract import MakeConfig, StateStoreContract
from muskox_state_postgres.config import PostgresStateConfig
from muskox_state_postgres.testing import PostgresServer


class TestPostgresStore(StateStoreContract):
    store_name = "postgres"

    @pytest.fixture
    def make_config(self, postgres_server: PostgresServer) -> MakeConfig:
        return lambda namespace: Config(
            state_config=StateConfig(storage="postgres"),
            plugin_sections={"postgres_state_config": PostgresStateConfig(url=postgres_server.url(),
                                                                          namespace=namespace)})
