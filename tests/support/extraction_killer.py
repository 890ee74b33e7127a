"""A test extension: kills the crawl's extraction processes after their third page job.

What a crashed extraction process (out of memory, a segfault in the parser) looks like to
the crawl. Pages the process held, and every page after it, are extracted in the crawl's
own process.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler

from linkspider.offload.pool import pool_for

KILL_AFTER = 3  # page jobs sent to the processes


class ExtractionKiller:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.killed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionKiller:
        killer = cls(crawler)
        crawler.signals.connect(killer.response_received, signal=signals.response_received)
        return killer

    def response_received(self) -> None:
        stats = self.crawler.stats
        assert stats is not None
        pool = pool_for(self.crawler)
        sent = stats.get_value("linkspider/offload/page", 0)
        if not self.killed and pool is not None and sent >= KILL_AFTER:
            self.killed = True
            pool.kill()
            stats.set_value("test/extraction_killed_after", sent)
