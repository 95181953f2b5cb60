"""The performance budgets of muskox, measured as wall time of whole processes.

Run with ``nox -s bench`` (or ``.venv/bin/python benchmarks/run.py``). Each benchmark prints its median, its
budget and OK/OVER; the exit code is 1 when a budget is exceeded. Never used as a test assertion.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float
    budget: float

    def line(self) -> str:
        verdict = "OK" if self.seconds <= self.budget else "OVER"
        return f"{self.name:<48} {self.seconds:8.3f} s   budget {self.budget:6.2f} s   {verdict}"


def median_wall_time(run: Callable[[], None], repeat: int) -> float:
    """The median wall time of ``run`` over ``repeat`` calls (after one warm-up call)."""
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def muskox(*args: str) -> Callable[[], None]:
    def run() -> None:
        subprocess.run([sys.executable, "-m", "muskox", *args], check=True, capture_output=True)

    return run


def main() -> int:
    results = [
        Result("muskox --help (whole process)", median_wall_time(muskox("--help"), repeat=15), budget=0.3),
    ]
    for result in results:
        print(result.line())
    return 0 if all(r.seconds <= r.budget for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
