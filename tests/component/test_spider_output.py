"""The spider's ``parse`` hands Scrapy finished output: the page's parse tree is released
before Scrapy takes the first item (a generator kept it alive, with a few MB of C memory,
for every response whose output was still being processed: issue 17,
benchmarks/results/memory.md). A real spider, built by Scrapy from the add-on's settings,
parses a real response."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse

from linkspider.core.items import BacklinkItem, PageItem
from linkspider.extract.page import LinkPage
from linkspider.spiders.backlinks import BacklinksSpider
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS

URL = "https://outdoor-blog.com/reviews/"
BODY = b"""<!doctype html><html><head><title>Reviews</title></head><body>
<nav><a href="/">Home</a> <a href="/about.html">About</a></nav>
<main><p>Our favourite <a href="https://acme-boots.com/boots">hiking boots</a>.</p>
<p>More: <a href="/reviews/tents.html">tents</a>.</p></main></body></html>"""


def live_pages() -> list[LinkPage]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, LinkPage)]


def test_parse_releases_the_page_before_scrapy_takes_its_output(tmp_path: Path) -> None:
    # As Crawler.crawl_async builds it (the engine is not needed to call parse).
    # In this process (the extraction processes need a running reactor; tests/e2e crawls
    # with them).
    settings = {"ADDONS": {"linkspider.addon.Addon": 0}, "LINKSPIDER_EXTRACT_PROCESSES": 0}
    crawler = Crawler(BacklinksSpider, settings)
    spider = crawler._create_spider(
        targets=SAMPLE_TARGETS, seeds=SAMPLE_SEEDS, output_dir=str(tmp_path / "out")
    )
    assert isinstance(spider, BacklinksSpider)
    request = Request(URL, meta={"depth": 0})
    response = HtmlResponse(URL, body=BODY, request=request, headers={"Content-Type": "text/html"})
    assert not live_pages()

    outputs = iter(asyncio.run(spider.parse(response)))
    first = next(outputs)
    assert not live_pages()  # the tree went with the page, before Scrapy's first item

    items = [first, *outputs]
    rows = [i for i in items if isinstance(i, BacklinkItem)]
    assert [(r.target_url, r.anchor_text) for r in rows] == [
        ("https://acme-boots.com/boots", "hiking boots")
    ]
    # the page row comes last: a resumed crawl takes it to mean "rows written and links
    # scheduled" (linkspider/extensions/crawl_journal.py)
    assert isinstance(items[-1], PageItem) and sum(isinstance(i, PageItem) for i in items) == 1
    assert {r.url for r in items if isinstance(r, Request)} == {
        "https://outdoor-blog.com/",
        "https://outdoor-blog.com/about.html",
        "https://outdoor-blog.com/reviews/tents.html",
    }
