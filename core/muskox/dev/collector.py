"""Collecting the project in a fresh process for every cycle of ``muskox dev``.

    python -m muskox.dev.collector      (one JSON request a line on stdin, one JSON answer a line on stdout)

Each cycle imports the project's code in a new process, so nothing of an earlier import lingers: a module
deleted or renamed is gone, a class redefined is new, module-level state starts over. To keep a save quick, one
long-lived collector process does the expensive part once, at start: it imports muskox, the plugins, the OLAP
backend's dialect and pydantic, and collects a tiny built-in project (:mod:`muskox.dev.warmup`) so that the
declaration API's lazy paths are loaded. It never imports the user's project itself. For each request it forks:
the child — a copy of that pristine, warmed-up interpreter — imports the project, collects it, sends the answer
back through a pipe and exits. The answer is the target :class:`~muskox.model.infra_map.InfraMap` in the
model's JSON encoding (:mod:`muskox.model.codec`), or the error that collecting raised (problem and fix).

What the project prints while it is imported goes to stderr; stdout carries only the answers. The collector
runs in a session of its own (Ctrl-C at the terminal is for ``dev``, which stops it).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from muskox.declare.errors import DeclarationError

if TYPE_CHECKING:
    from muskox.model.infra_map import InfraMap
    from muskox.plugin.dialect import Dialect

MODULE = "muskox.dev.collector"


@attrs.frozen
class CollectRequest:
    """What to collect: the project, its config file and tenant (read afresh by the child: ``source_dir`` and
    ``main_module`` may change between cycles), and the OLAP backend's primary database."""

    project_dir: Path
    config_file: Path | None
    tenant: str | None
    default_database: str

    def to_json(self) -> dict[str, Any]:
        """The request as the collector reads it."""
        return {"project_dir": str(self.project_dir), "config_file": str(self.config_file or "") or None,
                "tenant": self.tenant, "default_database": self.default_database}


class CollectFailed(DeclarationError):
    """Collecting failed: the project's error, or the collector's own failure."""


class Collector:
    """Collects the project in a fresh process per call (see the module).

    :param request: what to collect (the same every time; the child reads the code and config afresh).
    :param dialect: the OLAP backend's dialect, to decode the answer.
    :param python: the interpreter to run (default: this one).
    """

    def __init__(self, request: CollectRequest, dialect: Dialect, *, python: str | None = None) -> None:
        self.request = request
        self.dialect = dialect
        self.python = python or sys.executable
        self._process: subprocess.Popen[bytes] | None = None

    def warm(self) -> None:
        """Start the collector process now (if it is not running), so that it warms up in the background."""
        if self._process is None or self._process.poll() is not None:
            self._discard()
            self._process = subprocess.Popen(
                [self.python, "-m", MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                cwd=self.request.project_dir, env=_child_env(), start_new_session=True)

    def collect(self) -> InfraMap:
        """The code's declarations, imported in a fresh process.

        :raises muskox.declare.errors.DeclarationError: the project's code failed (syntax, import, declaration).
        """
        from muskox.model.codec import model_codec
        from muskox.model.infra_map import InfraMap

        answer = self._ask()
        if answer is None:  # the collector died (killed, out of memory): once more with a new one
            answer = self._ask()
        if answer is None:
            raise CollectFailed("collecting the project failed: the collector process ended unexpectedly "
                                "(its messages are above)", "fix the cause it reports; the next save tries again")
        if "error" in answer:
            error = answer["error"]
            raise CollectFailed(str(error.get("problem")), error.get("fix"))
        return model_codec(self.dialect).from_json(answer["infra_map"], InfraMap)

    def _ask(self) -> dict[str, Any] | None:
        self.warm()
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(self.request.to_json()).encode() + b"\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except OSError:
            line = b""
        try:
            answer = json.loads(line.decode("utf-8")) if line else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self._discard()
            return None
        return answer

    def _discard(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its session: the collector and a child still importing
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        """Stop the collector process (and a child of it still importing). Safe to call twice."""
        self._discard()


def _child_env() -> dict[str, str]:
    """This environment, with muskox importable even when it runs from a source checkout not on the path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths and root not in sys.path:
        env["PYTHONPATH"] = os.pathsep.join([*paths, root])
    return env


# -- the collector process ------------------------------------------------------------------------------------


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    """Collect the project ``request`` names (in the forked child)."""
    from muskox.config import load_config
    from muskox.errors import MuskoxError
    from muskox.model.codec import model_codec
    from muskox.plan.workspace import load_target
    from muskox.plugin.backends import olap_dialect
    from muskox.plugin.manager import Plugins

    try:
        project = Path(request["project_dir"])
        config_file = request.get("config_file")
        plugins = Plugins.load()
        config = load_config(project, config_file=Path(config_file) if config_file else None,
                             tenant=request.get("tenant"), sections=plugins.config_sections())
        dialect = olap_dialect(plugins)
        target = load_target(config, project, str(request["default_database"]), dialect)
        return {"infra_map": model_codec(dialect).to_json(target)}
    except MuskoxError as exc:
        return {"error": {"problem": exc.problem, "fix": exc.fix}}
    except Exception as exc:  # a bug rather than the project's error: say what it was
        return {"error": {"problem": f"collecting the project failed: {type(exc).__name__}: {exc}",
                          "fix": "report it if the project's code is fine"}}


def _warm_up() -> None:
    """Import what every collection needs, and collect the built-in warm-up project (see the module)."""
    from muskox.config import load_config  # noqa: F401
    from muskox.model.codec import model_codec
    from muskox.plan.workspace import load_target  # noqa: F401
    from muskox.plugin.backends import olap_dialect
    from muskox.plugin.manager import Plugins

    dialect = olap_dialect(Plugins.load())
    codec = model_codec(dialect)
    import muskox.declare.moose_compat  # noqa: F401
    with contextlib.suppress(Exception):  # best effort: without pydantic (or on any failure) children start colder
        from muskox.declare.collect import collect_project

        codec.to_json(collect_project(Path(__file__).parent, source_dir="warmup", main_module="main.py",
                                      default_database="warmup", dialect=dialect))


def _fork_and_collect(request: dict[str, Any]) -> dict[str, Any]:
    """Collect in a forked child (a copy of this warmed-up process that never saw the project)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: collect, answer, leave without running any cleanup of the parent's
        os.close(read_end)
        code = 0
        try:
            data = json.dumps(_answer(request), separators=(",", ":")).encode()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        answer = json.loads(data.decode("utf-8"))
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        return answer
    return {"error": {"problem": f"collecting the project failed: the collecting process ended with "
                                f"{_describe_status(status)} (its messages are above)",
                      "fix": "fix the cause it reports; the next save tries again"}}


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def main(stdin: IO[bytes] | None = None) -> int:
    """Warm up, then answer each request line with one answer line until stdin closes (see the module)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for `muskox dev`, which stops us
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # the project's prints must not corrupt the answers
    _warm_up()
    requests = stdin or sys.stdin.buffer
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        if isinstance(request, dict):
            answers.write(json.dumps(_fork_and_collect(request), separators=(",", ":")) + "\n")
            answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
