"""Per-site page budget: at most ``LINKSPIDER_MAX_PAGES_PER_SITE`` fetches per seed site.

A site is the registrable domain of a seed (request meta ``linkspider_site``, carried from
page to page by the spider); hosts a seed redirects to share its budget. Redirect hops,
retries and robots.txt fetches do not count. Requests over budget are dropped with
``IgnoreRequest``, counted in ``linkspider/budget/dropped`` and logged once per site.

Settings: ``LINKSPIDER_MAX_PAGES_PER_SITE`` (int, default 500; 0 disables the budget).
"""

from __future__ import annotations

import logging
from collections import Counter

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class SiteBudgetMiddleware:
    def __init__(self, max_pages: int, stats: StatsCollector) -> None:
        self.max_pages = max_pages
        self.stats = stats
        self.used: Counter[str] = Counter()
        self._warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteBudgetMiddleware:
        max_pages = crawler.settings.getint("LINKSPIDER_MAX_PAGES_PER_SITE", 500)
        if max_pages <= 0:
            raise NotConfigured("LINKSPIDER_MAX_PAGES_PER_SITE is 0: no page budget")
        assert crawler.stats is not None
        return cls(max_pages, crawler.stats)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        site = meta.get("linkspider_site")
        if site is None:  # robots.txt fetches and other non-page requests
            return
        if meta.get("redirect_times") or meta.get("retry_times") or meta.get("linkspider_budgeted"):
            return
        if self.used[site] >= self.max_pages:
            self.stats.inc_value("linkspider/budget/dropped")
            if site not in self._warned:
                self._warned.add(site)
                logger.info(f"page budget of {self.max_pages} reached for site {site}")
            raise IgnoreRequest(f"page budget reached for {site}")
        self.used[site] += 1
        meta["linkspider_budgeted"] = True
        self.stats.inc_value("linkspider/budget/pages")
