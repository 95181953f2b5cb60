"""``muskox init``: a new project that collects and migrates against a real ClickHouse as written, and never
overwrites a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from muskox.cli.init_cmd import database_name
from muskox.cli.main import run
from muskox.declare.collect import collect_project
from muskox.exit_codes import ExitCode
from muskox_clickhouse import connect, parse_url
from muskox_clickhouse.local import RunningServer
from tests.conftest import CliRunner

FILES = ("muskox.toml", "app/main.py", ".gitignore")


def cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_makes_a_project_that_migrates(clickhouse_server: RunningServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("init", "init-demo", capsys=capsys)
    assert code == ExitCode.OK, err
    root = tmp_path / "init-demo"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == sorted(FILES)
    assert "created init-demo: muskox.toml, app/main.py" in out and "cd init-demo && muskox dev" in out
    assert ".muskox/" in (root / ".gitignore").read_text().splitlines()
    assert 'db_name = "init_demo"' in (root / "muskox.toml").read_text()
    target = collect_project(root, default_database="init_demo")
    assert [t.name for t in target.tables.values()] == ["events"]

    # the configuration as written, pointed at the test server's port (the embedded one listens on 18123)
    monkeypatch.setenv("MUSKOX_CLICKHOUSE_CONFIG__HOST_PORT", str(clickhouse_server.http_port))
    with connect(parse_url(clickhouse_server.http_url), use_database=False) as client:
        client.command("DROP DATABASE IF EXISTS init_demo SYNC")
        code, out, err = cli("--project", str(root), "plan", "--exit-code", capsys=capsys)
        assert code == ExitCode.CHANGES_PENDING, out + err
        assert "events" in out
        for args in (("generate", "migration", "--save", "--yes-all"), ("migrate",)):
            code, out, err = cli("--project", str(root), *args, capsys=capsys)
            assert code == ExitCode.OK, out + err
        assert client.select_rows("SELECT name FROM system.tables WHERE database = 'init_demo'") == [("events",)]
    code, out, err = cli("--project", str(root), "plan", "--exit-code", capsys=capsys)
    assert code == ExitCode.OK, out + err
    assert (root / ".muskox" / "state" / "infra_map.json").is_file()  # the file store, ignored by git


def test_init_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("init", "demo", capsys=capsys)[0] == ExitCode.OK
    (tmp_path / "demo" / "app" / "main.py").write_text("# mine\n")
    code, out, err = cli("init", "demo", capsys=capsys)
    assert code == ExitCode.USAGE
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "demo/.gitignore, demo/app/main.py, demo/muskox.toml already exist; muskox init never overwrites" in err
    assert (tmp_path / "demo" / "app" / "main.py").read_text() == "# mine\n"

    # one existing file is enough: nothing at all is written
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".gitignore").write_text("*.pyc\n")
    code, _out, err = cli("--project", str(tmp_path / "repo"), "init", capsys=capsys)
    assert code == ExitCode.USAGE and "repo/.gitignore already exists" in err
    assert sorted(p.name for p in (tmp_path / "repo").iterdir()) == [".gitignore"]
    # nor into a Moose project
    (tmp_path / "moose").mkdir()
    (tmp_path / "moose" / "moose.config.toml").write_text("")
    assert cli("init", "moose", capsys=capsys)[0] == ExitCode.USAGE
    assert sorted(p.name for p in (tmp_path / "moose").iterdir()) == ["moose.config.toml"]


def test_init_in_the_project_directory_as_a_process(tmp_path: Path, run_muskox: CliRunner) -> None:
    done = run_muskox("--project", "here", "init")
    assert done.returncode == ExitCode.OK, done.stderr
    assert all((tmp_path / "here" / name).is_file() for name in FILES)
    again = run_muskox("init", "here")
    assert again.returncode == ExitCode.USAGE
    assert again.stderr.count("\n") == 1 and again.stderr.startswith("muskox: error: ")


@pytest.mark.parametrize(("directory", "database"), [
    ("demo", "demo"), ("My-App", "my_app"), ("default", "app_default"), ("2024 data", "app_2024_data"),
    ("名前", "app"),
])
def test_the_database_is_named_after_the_directory(directory: str, database: str) -> None:
    assert database_name(Path("/somewhere") / directory) == database
