"""Per-site page budget: at most ``LINKSPIDER_MAX_PAGES_PER_SITE`` fetches per seed site.

A site is the registrable domain of a seed (request meta ``linkspider_site``, carried from
page to page by the spider); hosts a seed redirects to share its budget. Redirect hops,
retries and robots.txt fetches do not count. Requests over budget are dropped with
``PolicyDrop`` (an ``IgnoreRequest``), counted in ``linkspider/budget/dropped`` and logged
once per site.

The pages taken per site are kept by a counter: in this process's memory by default, or
shared by all the workers of a distributed crawl (``RedisBudgetCounter``). A resumed
crawl gets back what its first part took from the crawl journal's
:data:`~linkspider.core.signals.budget_used` signal.

Settings: ``LINKSPIDER_MAX_PAGES_PER_SITE`` (int, default 500; 0 disables the budget),
``LINKSPIDER_BUDGET_COUNTER`` (import path of the counter class, default
``linkspider.middlewares.site_budget.MemoryBudgetCounter``; a counter has
``take(site, limit) -> bool`` and may have ``from_crawler``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import build_from_crawler, load_object

from linkspider.core.failures import PolicyDrop
from linkspider.core.meta import META_BUDGETED, META_SITE
from linkspider.core.setting_values import int_setting, text_setting
from linkspider.core.signals import budget_used

logger = logging.getLogger(__name__)

DEFAULT_COUNTER = "linkspider.middlewares.site_budget.MemoryBudgetCounter"


class BudgetCounter(Protocol):
    def take(self, site: str, limit: int) -> bool:
        """Take one page of ``site``'s budget; False when ``limit`` pages are taken."""


class MemoryBudgetCounter:
    """Pages taken per site, in this process."""

    def __init__(self) -> None:
        self.used: Counter[str] = Counter()

    def take(self, site: str, limit: int) -> bool:
        if self.used[site] >= limit:
            return False
        self.used[site] += 1
        return True


@dataclass(frozen=True)
class BudgetOptions:
    """The page budget settings, read once (defaults: the settings registry)."""

    max_pages: int  # 0: no budget
    counter: str  # import path of the BudgetCounter class

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> BudgetOptions:
        return cls(
            max_pages=int_setting(settings, "LINKSPIDER_MAX_PAGES_PER_SITE", minimum=0),
            counter=text_setting(settings, "LINKSPIDER_BUDGET_COUNTER") or DEFAULT_COUNTER,
        )


class SiteBudgetMiddleware:
    def __init__(
        self, max_pages: int, stats: StatsCollector, counter: BudgetCounter | None = None
    ) -> None:
        self.max_pages = max_pages
        self.stats = stats
        self.counter: BudgetCounter = counter if counter is not None else MemoryBudgetCounter()
        self._warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteBudgetMiddleware:
        options = BudgetOptions.from_settings(crawler.settings)
        if options.max_pages == 0:
            raise NotConfigured("LINKSPIDER_MAX_PAGES_PER_SITE is 0: no page budget")
        assert crawler.stats is not None
        counter_cls = load_object(options.counter)
        mw = cls(options.max_pages, crawler.stats, build_from_crawler(counter_cls, crawler))
        crawler.signals.connect(mw.budget_used, signal=budget_used)
        return mw

    def budget_used(self, used: Mapping[str, int]) -> None:
        """Take again the pages each site took before a resume."""
        for site, count in used.items():
            for _ in range(count):
                self.counter.take(site, self.max_pages)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        site = meta.get(META_SITE)
        if site is None:  # robots.txt fetches and other non-page requests
            return
        if meta.get("redirect_times") or meta.get("retry_times") or meta.get(META_BUDGETED):
            return
        if not self.counter.take(site, self.max_pages):
            self.stats.inc_value("linkspider/budget/dropped")
            if site not in self._warned:
                self._warned.add(site)
                logger.info(f"page budget of {self.max_pages} reached for site {site}")
            raise PolicyDrop(f"page budget reached for {site}")
        meta[META_BUDGETED] = True
        self.stats.inc_value("linkspider/budget/pages")
