"""The server runtime of ``muskox prod``: the boot migration, ``/health`` and the Admin API, Admin API tokens,
and supervision of the team's application."""
