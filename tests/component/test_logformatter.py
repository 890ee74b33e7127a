"""The quiet log formatter: no per-response / per-item DEBUG lines below DEBUG."""

from __future__ import annotations

import logging

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.test import get_crawler

from linkspider.addon import SCRAPY_SETTINGS
from linkspider.logformatter import QuietLogFormatter, hides_debug

RESPONSE = HtmlResponse(
    "https://a.test/", body=b"<html></html>", request=Request("https://a.test/")
)
ITEM = {"source_url": "https://a.test/"}


def _formatter(**settings: object) -> tuple[QuietLogFormatter, Spider]:
    crawler = get_crawler(Spider, settings)
    formatter = build_from_crawler(load_object(SCRAPY_SETTINGS["LOG_FORMATTER"]), crawler)
    assert isinstance(formatter, QuietLogFormatter)
    return formatter, Spider.from_crawler(crawler, "s")


@pytest.mark.parametrize("level", ["INFO", "info", "WARNING", logging.ERROR, "CRITICAL"])
def test_no_crawled_or_scraped_line_when_the_level_hides_debug(level: object) -> None:
    formatter, spider = _formatter(LOG_LEVEL=level)
    assert formatter.crawled(RESPONSE.request, RESPONSE, spider) is None
    assert formatter.scraped(ITEM, RESPONSE, spider) is None
    # Other messages are Scrapy's.
    assert formatter.dropped(ITEM, ValueError("x"), RESPONSE, spider)["level"] == logging.WARNING


@pytest.mark.parametrize("level", ["DEBUG", logging.DEBUG, "NOT-A-LEVEL"])
def test_debug_keeps_scrapys_lines(level: object) -> None:
    formatter, spider = _formatter(LOG_LEVEL=level)
    crawled = formatter.crawled(RESPONSE.request, RESPONSE, spider)
    scraped = formatter.scraped(ITEM, RESPONSE, spider)
    assert crawled is not None and crawled["level"] == logging.DEBUG
    assert scraped is not None and "a.test" in scraped["msg"] % scraped["args"]


def test_logging_off_is_quiet() -> None:
    assert hides_debug("DEBUG", enabled=False)
    assert _formatter(LOG_ENABLED=False)[0].quiet
