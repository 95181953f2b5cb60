"""Applying plans: the drift and code-consistency checks, the executor, and ``migrate`` in snapshot and delta
mode."""
