"""``blocked_pages.jsonl`` / ``.csv``: the pages the crawl chose not to fetch, and why.

Components that refuse a page request (robots.txt, the SSRF guard, the trap rules) call
:func:`linkspider.core.signals.report_blocked`, which sends the
:data:`~linkspider.core.signals.page_blocked` signal. This extension writes
one JSON line per blocked URL as it happens, flushed at once (a killed crawl keeps them);
the exports turn the file into ``blocked_pages.csv`` (last line per URL wins, so a resumed
crawl lists a URL once: :mod:`linkspider.reports.blocked`). ``run.json`` gets the counts
per reason and per host from :func:`linkspider.reports.blocked.blocked_summary`.

Reasons: :mod:`linkspider.core.signals`.

Settings: ``LINKSPIDER_OUTPUT_DIR`` (set by the spider).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from linkspider.core.jsonl import JsonlWriter
from linkspider.core.signals import BlockedPage, page_blocked, write_failed
from linkspider.reports.blocked import JSONL_NAME

logger = logging.getLogger(__name__)


class BlockedPagesExtension:
    """Writes ``blocked_pages.jsonl`` and ``.csv``. Settings: ``LINKSPIDER_OUTPUT_DIR``."""

    def __init__(self, output_dir: Path, crawler: Crawler | None = None) -> None:
        self.output_dir = output_dir
        self.crawler = crawler
        self.handle: JsonlWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockedPagesExtension:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not output_dir:
            raise NotConfigured("LINKSPIDER_OUTPUT_DIR is not set (not a backlinks crawl)")
        ext = cls(Path(output_dir), crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.page_blocked, signal=page_blocked)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        # Append: a resumed crawl (JOBDIR) keeps the lines of its earlier part.
        self.handle = JsonlWriter(self.output_dir / JSONL_NAME)

    def page_blocked(self, page: BlockedPage) -> None:
        if self.handle is None:
            return
        try:
            self.handle.write(asdict(page))
        except OSError as exc:  # disk full, read-only: the stream pipeline stops the crawl
            handle, self.handle = self.handle, None
            with contextlib.suppress(OSError):
                handle.close()
            if self.crawler is not None:
                path = self.output_dir / JSONL_NAME
                self.crawler.signals.send_catch_log(signal=write_failed, path=path, error=exc)

    def spider_closed(self) -> None:
        # blocked_pages.csv is built with the exports (linkspider.reports.finish): the
        # table libraries are not loaded into the crawl's process.
        if self.handle is not None:
            self.handle.close()
            self.handle = None
