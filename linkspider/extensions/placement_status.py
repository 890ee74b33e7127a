"""Record the status of every expected link of an ``-a expect=...`` crawl as it is decided.

The spider yields a :class:`~linkspider.extract.placement_check.PlacementStatus` per
expected link of each page it fetched or failed to fetch; pages refused before any request
(robots.txt, SSRF guard, traps) arrive as the :data:`~linkspider.extensions.blocked_pages.
page_blocked` signal and get their statuses here. Each status is one JSON line in
``placements.jsonl``, flushed at once (a killed crawl keeps them). When the crawl starts the
input rows are written to ``placements_expected.jsonl``; ``build_exports`` joins the two
into ``placements_status.csv`` (:mod:`linkspider.reports.placements`), with
``not-checked`` for rows never reached. A summary per status is logged at the end.

Settings: ``LINKSPIDER_OUTPUT_DIR`` (set by the spider). Off unless the spider has
placements to check.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from linkspider.config.placements import ExpectedLink
from linkspider.core.jsonl import JsonlWriter, read_jsonl
from linkspider.core.signals import BlockedPage, page_blocked
from linkspider.extract.placement_check import PageOutcome, PlacementStatus, outcome_rows
from linkspider.output import utc_now
from linkspider.reports.placements import JSONL_NAME, write_expected

logger = logging.getLogger(__name__)


class PlacementStatusExtension:
    """Streams ``placements.jsonl`` (see the module). Settings: ``LINKSPIDER_OUTPUT_DIR``."""

    def __init__(self, output_dir: Path, expected: tuple[ExpectedLink, ...]) -> None:
        self.output_dir = output_dir
        self.expected = expected
        self.by_url: dict[str, list[ExpectedLink]] = {}
        for link in expected:  # a scheme-less source may end up at its http fallback
            for url in dict.fromkeys((link.source_url, link.fallback_url)):
                if url:
                    self.by_url.setdefault(url, []).append(link)
        self.handle: JsonlWriter | None = None
        self.statuses: dict[int, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PlacementStatusExtension:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        config = getattr(crawler.spider, "config", None)
        placements = getattr(config, "placements", None)
        if not output_dir or placements is None:
            raise NotConfigured("no -a expect=... placements to check")
        ext = cls(Path(output_dir), placements.links)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.page_blocked, signal=page_blocked)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        write_expected(self.output_dir, self.expected)
        for record in read_jsonl(self.output_dir / JSONL_NAME):  # a resumed crawl's earlier part
            if isinstance(record.get("row"), int):
                self.statuses[record["row"]] = str(record.get("status"))
        # Append: a resumed crawl (JOBDIR) keeps the statuses of its earlier part.
        self.handle = JsonlWriter(self.output_dir / JSONL_NAME)

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, PlacementStatus):
            self._write(item)

    def page_blocked(self, page: BlockedPage) -> None:
        expected = self.by_url.get(page.requested_url)
        if not expected:
            return
        outcome = PageOutcome(
            requested_url=page.requested_url,
            final_url=page.url if page.url != page.requested_url else "",
            blocked=page.reason,
            detail=page.detail,
            checked_at=utc_now(),
        )
        for row in outcome_rows(expected, outcome):
            self._write(row)

    def spider_closed(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        counts = Counter(self.statuses.values())
        counts["not-checked"] += len(self.expected) - len(self.statuses)
        summary = ", ".join(f"{n} {status}" for status, n in counts.most_common() if n)
        logger.info(f"placements: {len(self.expected)} expected link(s): {summary}")

    def _write(self, row: PlacementStatus) -> None:
        self.statuses[row.row] = row.status
        if self.handle is not None:
            self.handle.write(asdict(row))
