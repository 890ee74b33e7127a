"""Extraction processes: the crawl's parsing on the machine's other cores (``pool.py``,
the crawl's side; ``worker.py``, the child process)."""
