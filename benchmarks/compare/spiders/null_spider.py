"""Contender 1, the framework's ceiling: request every page of the web, parse nothing.

``scrapy runspider null_spider.py -a pages=pages.txt -a stats=stats.json``: the page URLs
come from the generator's list (no link discovery); each response is counted and dropped.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response


class NullSpider(scrapy.Spider):
    name = "bench_null"

    def __init__(self, pages: str, stats: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pages_file = pages
        self.stats_file = stats

    async def start(self) -> AsyncIterator[scrapy.Request]:
        with open(self.pages_file, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield scrapy.Request(line.strip(), callback=self.parse)

    def parse(self, response: Response, **kwargs: Any) -> None:
        self.crawler.stats.inc_value("bench/pages")

    def closed(self, reason: str) -> None:
        stats = {k: str(v) for k, v in self.crawler.stats.get_stats().items()}
        with open(self.stats_file, "w", encoding="utf-8") as out:
            json.dump(stats, out, indent=1)
