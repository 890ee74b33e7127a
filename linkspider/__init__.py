"""linkspider: an open-source backlink crawler built on Scrapy."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# Arrow's allocator, unless the environment names one: jemalloc on Linux (its wheels ship
# it), the system's elsewhere. pyarrow's own default (mimalloc) and the system allocator
# keep memory the exports have freed, and the next step's peak lands on top of it. The
# exports of a 50,000-page crawl folder: system 469-471 MB, jemalloc 388-404 MB; 10 million
# link rows, sitewide + aggregates: system 2,190-2,232 MB, jemalloc 1,828 MB, 40 s instead
# of 43 s (benchmarks/results/aggregates.md). Arrow reads the variable when it first
# allocates, so it is set here, before any linkspider module imports pyarrow.
_os.environ.setdefault(
    "ARROW_DEFAULT_MEMORY_POOL", "jemalloc" if _sys.platform == "linux" else "system"
)
