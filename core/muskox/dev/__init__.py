"""``muskox dev``: the development loop. Save a file, and the database follows the code.

    session.py    the run: the local server when none is configured, connections, a clean stop
    watcher.py    the source directory's file events (watchfiles), grouped, editors' temporary files ignored
    collector.py  the code imported in a fresh process per cycle (a warmed-up spare waits for each save)
    cycle.py      collect ─► plan ─► apply under the lock ─► store the state
    decide.py     approvals: ask at a terminal, follow --yes-*, else hold back what needs a decision
    render.py     Moose-style change lines (``+ Table: events - id: String``) and error blocks
    loop.py       one cycle at start, then one per group of saves
"""

from __future__ import annotations
