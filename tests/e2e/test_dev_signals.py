"""SIGTERM while ``muskox dev`` applies a change (issue 15, item 1 for dev): the running operation finishes, nothing
new starts, the state is stored from the database, the lock is released and the ✓/· report ends dev with 143.

The cycle runs in the test process against the real ClickHouse; its second operation waits at an event, and a real
SIGTERM is sent to the process while it waits (dev applies only what the code declares, so no statement of its
own could be made to block in the server)."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from pathlib import Path

import pytest

from muskox.apply.interrupt import active
from muskox.config import load_config
from muskox.declare.collect import collect_project
from muskox.dev.cycle import DevCycle, DevSettings
from muskox.dev.loop import DevLoop
from muskox.dev.stopping import DevStopped
from muskox.exit_codes import ExitCode
from muskox.model.operations import Operation
from muskox.plugin.backends import open_backends
from muskox.plugin.manager import Plugins
from muskox.state import open_state_store
from muskox_clickhouse.local import RunningServer
from tests.sync import wait_for

CODE = """
from pydantic import BaseModel
from muskox import Key, OlapConfig, OlapTable


class Row(BaseModel):
    id: Key[str]


one = OlapTable[Row]("one", OlapConfig(order_by_fields=["id"]))
two = OlapTable[Row]("two", OlapConfig(order_by_fields=["id"]))
three = OlapTable[Row]("three", OlapConfig(order_by_fields=["id"]))
"""


def test_sigterm_while_dev_applies_finishes_the_running_operation_and_reports(
        clickhouse_server: RunningServer, tmp_path: Path) -> None:
    database = f"devsig_{uuid.uuid4().hex[:8]}"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(CODE)
    (tmp_path / "muskox.toml").write_text(f'[clickhouse_config]\nurl = "{clickhouse_server.http_url}/{database}"\n'
                                          f'db_name = "{database}"\n[state_config]\nstorage = "clickhouse"\n')
    config = load_config(tmp_path)
    plugins = Plugins.load()
    waiting, release = threading.Event(), threading.Event()

    with open_backends(plugins, config) as backends, \
            open_state_store(config, plugins, project_dir=tmp_path, dialect=backends.dialect) as store:
        real_apply = backends.apply
        applied: list[str] = []

        def apply(operation: Operation) -> None:
            applied.append(operation.describe())
            if len(applied) == 2:  # the second operation waits until the signal was handled
                waiting.set()
                assert release.wait(60)
            real_apply(operation)

        backends.apply = apply  # type: ignore[method-assign]

        def signal_while_two_runs() -> None:
            assert waiting.wait(60)
            os.kill(os.getpid(), signal.SIGTERM)
            wait_for(lambda: (stop := active()) is not None and stop.requested, "the stop request")
            release.set()

        sender = threading.Thread(target=signal_while_two_runs)
        sender.start()
        cycle = DevCycle(collect=lambda: collect_project(tmp_path, default_database=database), backends=backends,
                         store=store, dialect=backends.dialect, settings=DevSettings(parallelism=1), prompter=None,
                         lock_owner="dev-test")
        loop = DevLoop(cycle, watcher=None, dialect=backends.dialect, project_dir=tmp_path)  # type: ignore[arg-type]
        try:
            with pytest.raises(DevStopped) as info:
                loop.run_cycle()  # the loop lets it through: dev ends
        finally:
            release.set()
            sender.join(60)

        error = info.value
        assert error.exit_code == ExitCode.TERMINATED and not error.abandoned
        report = error.one_line()
        assert "Migration stopped by SIGTERM: 2 of 3 operation(s) succeeded, 0 failed, 1 not run" in report
        assert f"✓ [2/3] {applied[1]}" in report and "· [3/3] " in report and "(not run)" in report
        assert len(applied) == 2
        left = report.split("· [3/3] ")[1].split("'")[1]
        assert "the state was stored from the database; the lock was released" in report
        assert "run `muskox dev` again" in report
        assert store.lock_status() is None
        state = store.load_state()
        assert state is not None
        assert sorted(table.name for table in state.tables.values()) == sorted({"one", "two", "three"} - {left})
