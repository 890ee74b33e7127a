"""The low layer every other package may use: URLs, domains, items, meta keys, signals,
failure kinds, JSONL I/O."""
