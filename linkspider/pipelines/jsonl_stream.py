"""Stream every item to a JSON Lines file as it is scraped.

``backlinks.jsonl``, ``pages.jsonl`` and ``errors.jsonl`` in the run's output folder get a
line per item, flushed at once: a crawl that is killed keeps everything it found, and
``linkspider export DIR`` builds the final exports from these files.

A write into the run folder that fails (disk full, a folder turned read-only), here or in
another component (the :data:`~linkspider.core.signals.write_failed` signal), stops the crawl at
once with the reason ``write-failed``, logged in one line and recorded in the stats
(``linkspider/write_failed``). Items after it are not written, only counted
(``linkspider/items/not_written``): each would otherwise log its own traceback.

A redirect to a URL the crawl had already requested is dropped by the duplicate filter
(``request_dropped``); the URL that redirected was fetched all the same and gets its
``pages.jsonl`` line (:func:`~linkspider.core.items.redirected_page`).

Settings: ``LINKSPIDER_OUTPUT_DIR`` (set by the spider from ``-a output_dir``).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from linkspider.core.items import BacklinkItem, ErrorItem, PageItem, redirected_page
from linkspider.core.jsonl import JsonlWriter
from linkspider.core.signals import write_failed
from linkspider.output import WRITE_FAILED, utc_now

logger = logging.getLogger(__name__)

#: Stats key holding the first failed write (``file: reason``).
WRITE_FAILED_STAT = "linkspider/write_failed"

STREAMS: dict[type, str] = {
    BacklinkItem: "backlinks.jsonl",
    PageItem: "pages.jsonl",
    ErrorItem: "errors.jsonl",
}


class JsonlStreamPipeline:
    def __init__(
        self, output_dir: Path, stats: StatsCollector, crawler: Crawler | None = None
    ) -> None:
        self.output_dir = output_dir
        self.stats = stats
        self.crawler = crawler
        self.files: dict[type, JsonlWriter] = {}
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlStreamPipeline:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not output_dir:
            raise NotConfigured("LINKSPIDER_OUTPUT_DIR is not set (not a backlinks crawl)")
        assert crawler.stats is not None
        pipeline = cls(Path(output_dir), crawler.stats, crawler)
        crawler.signals.connect(pipeline.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(pipeline.write_failed, signal=write_failed)
        return pipeline

    def open_spider(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        for kind, name in STREAMS.items():
            # Append: a resumed crawl (JOBDIR) keeps the rows of its earlier part.
            self.files[kind] = JsonlWriter(self.output_dir / name)

    def close_spider(self) -> None:
        for handle in self.files.values():
            # A failed write was reported; what its buffer holds cannot be written either.
            with contextlib.suppress(OSError):
                handle.close()
        self.files.clear()

    def process_item(self, item: Any) -> Any:
        if self.failed:
            if type(item) in STREAMS:
                self.stats.inc_value("linkspider/items/not_written")
            return item
        handle = self.files.get(type(item))
        if handle is None:
            return item
        try:
            handle.write(vars(item))
        except OSError as exc:
            self.stats.inc_value("linkspider/items/not_written")
            self.write_failed(self.output_dir / STREAMS[type(item)], exc)
            return item
        kind = STREAMS[type(item)].split(".", 1)[0]
        self.stats.inc_value(f"linkspider/items/{kind}")
        if isinstance(item, PageItem):
            self.stats.inc_value("linkspider/links_seen", item.links)
        return item

    def request_dropped(self, request: Request, **_: Any) -> None:
        redirects = request.meta.get("redirect_urls")
        if not redirects:
            return  # a request that was never sent: nothing was fetched
        reasons = request.meta.get("redirect_reasons") or ()
        depth = int(request.meta.get("depth", 0))
        self.process_item(redirected_page(request.url, redirects, reasons, depth, utc_now()))

    def write_failed(self, path: Path, error: OSError) -> None:
        """Stop writing, and stop the crawl, at the first failed write into the run folder."""
        if self.failed:
            return
        self.failed = True
        reason = error.strerror or str(error)
        self.stats.set_value(WRITE_FAILED_STAT, f"{path.name}: {reason}")
        logger.error(
            f"linkspider: writing {path} failed ({reason}); the crawl stops, "
            "its rows so far are in the *.jsonl files"
        )
        if self.crawler is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=WRITE_FAILED))
