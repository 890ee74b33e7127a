"""linkspider: an open-source backlink crawler built on Scrapy."""

import os as _os

__version__ = "0.1.0"

# Arrow's allocator: the system's, unless the environment names one. pyarrow's default on
# Linux, jemalloc, keeps freed memory for reuse, and the crawl builds its exports in its
# own process: on a 5,000-page run folder the exports' peak RSS was 323-335 MB with
# jemalloc and 269-277 MB with the system allocator, at the same CPU
# (benchmarks/results/memory.md). Arrow reads the variable when it first allocates, so it
# is set here, before any linkspider module imports pyarrow.
_os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
