"""Safety policies applied between the differ and lowering, each in its own module.

``ignore_operations`` is the dialect's normalization (drift detection shares it); here: lifecycle rules,
column-rename detection, version bumps, and the classification of destructive and risky changes.
"""
