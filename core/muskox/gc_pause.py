"""Python's cyclic garbage collector paused while a command builds large, long-lived structures.

Reading 2,000 tables allocates hundreds of thousands of objects that all stay alive (the code's declarations, the
stored state, the server's schema). The collector, triggered by allocation counts, keeps traversing them and finds
nothing to free: about a tenth of ``muskox ls`` went there. Reference counting still frees everything acyclic at
once; cyclic garbage waits until the pause ends, when the collector runs again as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collection_paused", "collector_off_until_exit"]


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (the previous setting is restored after it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collector_off_until_exit() -> None:
    """For a one-shot command whose process ends with its output (``ls``, ``plan``): what it builds stays alive
    until then, so the collector is left off (a pause that ends costs one traversal of everything built);
    :func:`muskox.cli.main.main` freezes the survivors before the interpreter exits."""
    gc.disable()
