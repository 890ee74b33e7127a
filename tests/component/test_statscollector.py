"""The lean stats collector: Scrapy's in-memory stats, ordinary attribute lookup."""

from __future__ import annotations

from scrapy import Spider
from scrapy.statscollectors import MemoryStatsCollector, StatsCollector
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from linkspider.addon import SCRAPY_SETTINGS
from linkspider.statscollector import LeanStatsCollector


def _stats() -> tuple[LeanStatsCollector, Spider]:
    crawler = get_crawler(Spider, {"STATS_CLASS": SCRAPY_SETTINGS["STATS_CLASS"]})
    assert crawler.stats is not None
    assert isinstance(crawler.stats, LeanStatsCollector)
    crawler.spider = Spider.from_crawler(crawler, "s")
    return crawler.stats, crawler.spider


def test_linkspider_crawls_use_it() -> None:
    assert load_object(SCRAPY_SETTINGS["STATS_CLASS"]) is LeanStatsCollector
    assert issubclass(LeanStatsCollector, MemoryStatsCollector)


def test_attribute_lookup_skips_scrapys_shim() -> None:
    # Scrapy's collector defines its own __getattribute__ (the cost this class removes).
    assert StatsCollector.__getattribute__ is not object.__getattribute__
    assert LeanStatsCollector.__getattribute__ is object.__getattribute__
    stats, _ = _stats()
    stats.inc_value("a")
    assert not any(name.startswith("_cached_") for name in vars(stats))


def test_it_counts_as_scrapys_does() -> None:
    stats, spider = _stats()
    reference = MemoryStatsCollector(get_crawler(Spider))
    for collector in (stats, reference):
        collector.open_spider()
        collector.inc_value("n")
        collector.inc_value("n", 4)
        collector.inc_value("s", start=10)
        collector.set_value("v", "x")
        collector.max_value("max", 3)
        collector.max_value("max", 2)
        collector.min_value("min", 3)
        collector.min_value("min", 2)
    assert stats.get_stats() == reference.get_stats() == {
        "n": 5, "s": 11, "v": "x", "max": 3, "min": 2,
    }  # fmt: skip
    assert stats.get_value("missing", "default") == "default"
    stats.close_spider(reason="finished")
    assert stats.spider_stats[spider.name]["n"] == 5
