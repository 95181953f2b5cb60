"""Safety policies applied between the differ and lowering, each in its own module.

``ignore_operations`` lives in :mod:`muskox.dialect.normalize` (drift detection shares it); here: lifecycle rules,
column-rename detection, version bumps, and the classification of destructive and risky changes.
"""
