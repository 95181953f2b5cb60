"""The command log: what each command did on a server, as JSON lines under ``<project>/.muskox/logs/``.

    backends log records (``extra={"muskox_event": {...}}``) ─► :class:`~muskox.logs.handler.CommandLogHandler`
        ─► masked ─► :class:`~muskox.logs.files.LogDirectory` (one file a day, 7 days kept, size-bounded)
    ``muskox logs`` ─► :mod:`muskox.logs.reading` ─► :mod:`muskox.logs.render`

A record is one JSON object on one line. Every record has ``time`` (UTC, ISO 8601), ``event``, ``command``
(``migrate``, ``generate migration``, …), ``tenant`` and ``pid``; the events are listed in
:mod:`muskox.logs.records`.
"""

from __future__ import annotations
