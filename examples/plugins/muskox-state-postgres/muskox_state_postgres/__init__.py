"""muskox-state-postgres: the ``postgres`` state store for muskox (an example of a third-party plugin)."""

__version__ = "0.1.0"
