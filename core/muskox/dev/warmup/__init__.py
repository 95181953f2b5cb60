"""A tiny project the collector imports while it waits for a request (see :mod:`muskox.dev.collector`).

Collecting it runs, once, the code paths that any project's first collection pays for (lazy imports of the
declaration API and of pydantic's model machinery), before a save is waiting on them.
"""
