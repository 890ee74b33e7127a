"""Crawler-trap guard: page requests whose URL says "this never ends" are not made.

Runs before the page budget, so trap URLs never use it up:

* ``trap-long-url``: longer than ``LINKSPIDER_MAX_URL_LENGTH`` characters;
* ``trap-repeated-path``: a path segment occurring ``LINKSPIDER_TRAP_SEGMENT_REPEATS``
  times (``/a/b/a/b/a/``), what relative links on pages served for any path produce;
* ``trap-calendar`` / ``trap-pagination``: more than
  ``LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN`` URLs of one calendar or pagination pattern
  (``/events/{date}/``, ``/list?page={n}``) on one site.

Redirect hops are checked too. Refused requests are listed in ``blocked_pages.csv``,
counted in ``linkspider/traps/<reason>`` and logged once per host and reason. Session ids
are removed from followed URLs before de-duplication (``linkspider.core.urls.crawl_url``).

Settings: ``LINKSPIDER_MAX_URL_LENGTH`` (2048), ``LINKSPIDER_TRAP_SEGMENT_REPEATS`` (3),
``LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN`` (50); each 0 disables its rule, all three 0
disable the component. Requests without ``linkspider_site`` meta (robots.txt) are not
checked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached

from linkspider.core.failures import PolicyDrop
from linkspider.core.meta import META_SITE
from linkspider.core.setting_values import int_setting
from linkspider.core.signals import report_blocked
from linkspider.policy.traps import PatternBudget, TrapLimits, url_trap

logger = logging.getLogger(__name__)


class TrapBlocked(PolicyDrop):
    """A page request refused as a crawler trap."""


@dataclass(frozen=True)
class TrapOptions:
    """The trap settings, read once (defaults: the settings registry; 0 switches a rule
    off, a negative value is an error naming the setting)."""

    limits: TrapLimits

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> TrapOptions:
        return cls(
            TrapLimits(
                max_url_length=int_setting(settings, "LINKSPIDER_MAX_URL_LENGTH", minimum=0),
                max_segment_repeats=int_setting(
                    settings, "LINKSPIDER_TRAP_SEGMENT_REPEATS", minimum=0
                ),
                max_per_pattern=int_setting(
                    settings, "LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN", minimum=0
                ),
            )
        )


class TrapGuardMiddleware:
    """Refuses trap URLs (see the module).

    Settings: ``LINKSPIDER_MAX_URL_LENGTH``, ``LINKSPIDER_TRAP_SEGMENT_REPEATS``,
    ``LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN``. Meta: ``linkspider_site`` (pages only).
    """

    def __init__(self, limits: TrapLimits, stats: StatsCollector, crawler: Crawler) -> None:
        self.limits = limits
        self.patterns = PatternBudget(limits.max_per_pattern)
        self.stats = stats
        self.crawler = crawler
        self._logged: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapGuardMiddleware:
        limits = TrapOptions.from_settings(crawler.settings).limits
        if not (limits.max_url_length or limits.max_segment_repeats or limits.max_per_pattern):
            raise NotConfigured("every trap rule is off")
        assert crawler.stats is not None
        return cls(limits, crawler.stats, crawler)

    def process_request(self, request: Request) -> None:
        site = request.meta.get(META_SITE)
        if site is None:
            return
        url = request.url
        reason = url_trap(url, self.limits) or self.patterns.admit(str(site), url)
        if reason is None:
            return
        self.stats.inc_value(f"linkspider/traps/{reason}")
        host = urlparse_cached(request).hostname or ""
        if (host, reason) not in self._logged:
            self._logged.add((host, reason))
            logger.info(
                f"{reason}: not crawling {url[:200]}; more of its kind on {host} are only counted"
            )
        report_blocked(self.crawler, request, reason)
        raise TrapBlocked(reason)
