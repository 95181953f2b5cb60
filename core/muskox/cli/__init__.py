"""The ``muskox`` command line: the shell (:mod:`muskox.cli.main`) and the built-in commands."""
