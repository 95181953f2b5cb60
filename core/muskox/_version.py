"""The version of the muskox core distribution."""

__version__ = "0.1.0"
