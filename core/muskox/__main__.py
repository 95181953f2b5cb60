"""``python -m muskox``: the same as the ``muskox`` command."""

from muskox.cli.main import main

main()
