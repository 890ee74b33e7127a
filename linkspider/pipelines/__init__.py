"""Item pipelines: link rows to disk."""
