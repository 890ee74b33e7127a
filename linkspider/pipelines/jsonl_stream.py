"""Stream every item to a JSON Lines file as it is scraped.

``backlinks.jsonl``, ``pages.jsonl`` and ``errors.jsonl`` in the run's output folder get a
line per item, flushed at once: a crawl that is killed keeps everything it found, and
``linkspider export DIR`` builds the final exports from these files.

A redirect to a URL the crawl had already requested is dropped by the duplicate filter
(``request_dropped``); the URL that redirected was fetched all the same and gets its
``pages.jsonl`` line (:func:`~linkspider.items.redirected_page`).

Settings: ``LINKSPIDER_OUTPUT_DIR`` (set by the spider from ``-a output_dir``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from linkspider.items import BacklinkItem, ErrorItem, PageItem, redirected_page
from linkspider.output import utc_now

STREAMS: dict[type, str] = {
    BacklinkItem: "backlinks.jsonl",
    PageItem: "pages.jsonl",
    ErrorItem: "errors.jsonl",
}


class JsonlStreamPipeline:
    def __init__(self, output_dir: Path, stats: StatsCollector) -> None:
        self.output_dir = output_dir
        self.stats = stats
        self.files: dict[type, IO[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlStreamPipeline:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not output_dir:
            raise NotConfigured("LINKSPIDER_OUTPUT_DIR is not set (not a backlinks crawl)")
        assert crawler.stats is not None
        pipeline = cls(Path(output_dir), crawler.stats)
        crawler.signals.connect(pipeline.request_dropped, signal=signals.request_dropped)
        return pipeline

    def open_spider(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        for kind, name in STREAMS.items():
            # Append: a resumed crawl (JOBDIR) keeps the rows of its earlier part.
            self.files[kind] = (self.output_dir / name).open("a", encoding="utf-8")

    def close_spider(self) -> None:
        for handle in self.files.values():
            handle.close()
        self.files.clear()

    def process_item(self, item: Any) -> Any:
        handle = self.files.get(type(item))
        if handle is None:
            return item
        handle.write(json.dumps(vars(item), ensure_ascii=False) + "\n")
        handle.flush()
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
