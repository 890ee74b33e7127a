"""``LOG_FORMATTER``: Scrapy's log formatter, without the DEBUG lines the log level hides.

Scrapy asks its log formatter for a "Crawled (200) <GET ...>" line for every response and a
"Scraped from <200 ...>" line (with the whole item) for every item, and logs them at DEBUG.
Scrapy's root logger passes every level, so each line is formatted and becomes a log record
before the handler drops it at ``LOG_LEVEL = "INFO"``: about 1% of the crawl's CPU on the
benchmark web (benchmarks/RESULTS.md). When ``LOG_LEVEL`` hides DEBUG (or ``LOG_ENABLED``
is off), this formatter returns no line for those two messages, which is how Scrapy skips
a message; ``-s LOG_LEVEL=DEBUG`` brings them back. Every other message is Scrapy's.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult


def hides_debug(level: Any, enabled: bool = True) -> bool:
    """Does a ``LOG_LEVEL`` of ``level`` (name or number) drop DEBUG lines?"""
    if not enabled:
        return True
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    return isinstance(number, int) and number > logging.DEBUG


class QuietLogFormatter(LogFormatter):
    """Scrapy's :class:`~scrapy.logformatter.LogFormatter`; no per-response and per-item
    DEBUG lines when the log level hides them. Settings: ``LOG_LEVEL``, ``LOG_ENABLED``."""

    def __init__(self, quiet: bool = False) -> None:
        super().__init__()
        self.quiet = quiet

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        settings = crawler.settings
        return cls(hides_debug(settings.get("LOG_LEVEL"), settings.getbool("LOG_ENABLED", True)))

    def crawled(  # type: ignore[override]  # Scrapy skips a None result
        self, request: Request, response: Response, spider: Spider
    ) -> LogFormatterResult | None:
        return None if self.quiet else super().crawled(request, response, spider)

    def scraped(  # type: ignore[override]
        self, item: Any, response: Response | Any, spider: Spider
    ) -> LogFormatterResult | None:
        return None if self.quiet else super().scraped(item, response, spider)
