"""A test extension: logs how many extraction processes are still running when the
exports start (``exports probe: N extraction process(es) running``), once.

They should be none: the run report sends ``exports_starting`` and waits for the pool to end
its processes first, so the exports' memory peak is not stacked on theirs. The exports
start in the crawl's process (``build_exports`` is called there) or, by default, in the
process that replaces it once the engine has stopped: the probe records at whichever
comes first.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

import linkspider.reports.exports as exports
from linkspider.offload.pool import pool_for

logger = logging.getLogger(__name__)


class ExportsProbe:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.recorded = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExportsProbe:
        probe = cls(crawler)
        build = exports.build_exports  # the run report imports it when the crawl ends

        def probed(output_dir: Path, *args: Any, **kwargs: Any) -> Any:
            probe.record()
            return build(output_dir, *args, **kwargs)

        exports.build_exports = probed
        crawler.signals.connect(probe.record, signal=signals.engine_stopped)
        return probe

    def record(self) -> None:
        if self.recorded:
            return
        self.recorded = True
        pool = pool_for(self.crawler)
        running = pool.running if pool else -1
        logger.info(f"exports probe: {running} extraction process(es) running")
