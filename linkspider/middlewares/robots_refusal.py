"""A page robots.txt disallows: counted, logged once per origin, listed as blocked.

Shared by the robots.txt middleware (which decides in the downloader) and the robots
prefilter (which drops the links it can decide before they are scheduled), so a
disallowed page is reported the same way whichever of them refuses it.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler

from linkspider.core.signals import ROBOTS_DISALLOWED, report_blocked
from linkspider.policy.robots import robots_url

logger = logging.getLogger("linkspider.middlewares.robots")


def report_disallowed(crawler: Crawler, request: Request, origin: str, logged: set[str]) -> None:
    """Stats, one log line per origin (``logged`` holds the origins already named) and the
    ``robots-disallowed`` row of ``blocked_pages.csv``."""
    stats = crawler.stats
    assert stats is not None
    stats.inc_value("linkspider/robots/disallowed")
    stats.inc_value("robotstxt/forbidden")  # Scrapy's name, read by merge tools
    if origin not in logged:
        logged.add(origin)
        logger.info(
            f"robots.txt of {origin} disallows {request.url}; further pages it "
            "disallows are only counted"
        )
    report_blocked(crawler, request, ROBOTS_DISALLOWED, robots_url(origin))
