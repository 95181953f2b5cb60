"""Plan files: ``plan.yaml`` and its two snapshots (snapshot mode), delta files (delta mode), the JSON Schema."""
