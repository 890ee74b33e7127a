"""A test extension: records how many extraction processes are still running when the
run report starts building the exports (stat ``test/processes_at_exports``).

They should be none: the report sends ``exports_starting`` and waits for the pool to end
its processes first, so the exports' memory peak is not stacked on theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

import linkspider.reports.exports as exports
from linkspider.offload.pool import pool_for


class ExportsProbe:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExportsProbe:
        probe = cls(crawler)
        build = exports.build_exports  # the run report imports it when the crawl ends

        def probed(output_dir: Path, *args: Any, **kwargs: Any) -> Any:
            probe.record()
            return build(output_dir, *args, **kwargs)

        exports.build_exports = probed
        return probe

    def record(self) -> None:
        pool = pool_for(self.crawler)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("test/exports_probed", 1)
        self.crawler.stats.set_value("test/processes_at_exports", pool.running if pool else -1)
