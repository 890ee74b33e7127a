"""Contender 2: the minimal follow-all spider, a ``CrawlSpider`` with one ``LinkExtractor`` rule.

``scrapy runspider follow_spider.py -a seeds=seeds.txt -a hosts=hosts.txt -a stats=stats.json``:
starts from the seeds and follows every link within the web's hosts (``allowed_domains``),
counting pages; it extracts nothing else. Seeds are requested like any other URL (not
``dont_filter``), so a home page linked again is not fetched twice.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class FollowSpider(CrawlSpider):
    name = "bench_follow"
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)

    def __init__(self, seeds: str, hosts: str, stats: str, **kwargs: Any) -> None:
        with open(seeds, encoding="utf-8") as lines:
            self.start_urls = [line.strip() for line in lines if line.strip()]
        with open(hosts, encoding="utf-8") as lines:
            self.allowed_domains = [line.strip() for line in lines if line.strip()]
        self.stats_file = stats
        super().__init__(**kwargs)

    async def start(self) -> AsyncIterator[Request]:
        # Not Scrapy's default dont_filter=True: a seed linked again is not fetched twice.
        for url in self.start_urls:
            yield Request(url, callback=self._parse)

    def parse_start_url(self, response: Response, **kwargs: Any) -> list[Any]:
        return self.parse_page(response)

    def parse_page(self, response: Response) -> list[Any]:
        self.crawler.stats.inc_value("bench/pages")
        return []

    def closed(self, reason: str) -> None:
        stats = {k: str(v) for k, v in self.crawler.stats.get_stats().items()}
        with open(self.stats_file, "w", encoding="utf-8") as out:
            json.dump(stats, out, indent=1)
