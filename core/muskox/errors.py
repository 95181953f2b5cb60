"""Known failures: errors that print one line naming the problem and the fix.

Anything raised that is *not* a :class:`MuskoxError` is treated as a bug and printed with its traceback.
"""

from __future__ import annotations

from muskox.exit_codes import ExitCode


class MuskoxError(Exception):
    """A known failure with a one-line explanation, an optional fix and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, problem: str, fix: str | None = None, *, exit_code: ExitCode | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code

    def one_line(self) -> str:
        """The message printed to the user: the problem, then the fix when there is one."""
        if self.fix:
            return f"{self.problem}. Fix: {self.fix}"
        return self.problem

    def __str__(self) -> str:
        return self.one_line()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled with its attributes, whatever the subclass's ``__init__`` takes (an error raised in a forked
        child, :mod:`muskox.forked`, reaches the parent whole)."""
        return _restore, (type(self), self.args, dict(self.__dict__))


def _restore(cls: type[MuskoxError], args: tuple[object, ...], state: dict[str, object]) -> MuskoxError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(MuskoxError):
    """The configuration (file, environment or flags) is invalid."""

    exit_code = ExitCode.CONFIG


class ConnectionFailed(MuskoxError):
    """A server could not be reached or refused the credentials."""

    exit_code = ExitCode.CONNECTION


class PluginError(MuskoxError):
    """A plugin is missing, broken or conflicts with another one."""

    exit_code = ExitCode.PLUGIN


class LocalServerError(MuskoxError):
    """The embedded local ClickHouse could not be started, found or stopped."""

    exit_code = ExitCode.LOCAL_SERVER


class PlanInvalid(MuskoxError):
    """A plan or migration file is missing, malformed, or does not match the code; ``problems`` lists each."""

    exit_code = ExitCode.PLAN_INVALID

    def __init__(self, problem: str, fix: str | None = None, *, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems:
            problem = f"{problem} ({len(self.problems)} problem{'s' if len(self.problems) > 1 else ''}):\n" + \
                "\n".join(f"  {line}" for line in self.problems)
        super().__init__(problem, fix)

    def one_line(self) -> str:
        """The problem lines, then the fix on its own line."""
        return f"{self.problem}\nFix: {self.fix}" if self.fix and self.problems else super().one_line()
