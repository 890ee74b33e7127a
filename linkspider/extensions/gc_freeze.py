"""Freeze the crawl's start-up objects when its engine has started (``LINKSPIDER_GC_FREEZE``).

Every component is built and no page is fetched yet: the objects alive then (modules,
settings, components) live as long as the process, and full garbage collections need not
walk them again (:mod:`linkspider.core.gcfreeze`; measured in
``benchmarks/results/gc.md``). Extraction processes do the same after their start-up.

When the engine has stopped (the exports are built by then) the objects go back to the
collector (:func:`gc.unfreeze`): a process that runs one crawl after another (tests, a
script with ``CrawlerProcess``) does not keep the earlier crawls' objects out of its reach.

Setting: ``LINKSPIDER_GC_FREEZE`` (default true; false leaves the collector as Python sets
it).
"""

from __future__ import annotations

import gc
import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from linkspider.core.gcfreeze import freeze_startup_objects
from linkspider.core.setting_values import bool_setting

logger = logging.getLogger(__name__)


class GcFreezeExtension:
    """Freezes the start-up objects when the engine has started (see the module)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcFreezeExtension:
        if not bool_setting(crawler.settings, "LINKSPIDER_GC_FREEZE"):
            raise NotConfigured("LINKSPIDER_GC_FREEZE is off")
        ext = cls(crawler)
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_started(self) -> None:
        frozen = freeze_startup_objects()
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("linkspider/gc/frozen_objects", frozen)
        logger.debug(f"gc: {frozen} start-up objects moved to the permanent generation")

    def engine_stopped(self) -> None:
        """The crawl is over (its exports built): the frozen objects go back to the
        collector, so a process that runs another crawl can free the ones that die."""
        gc.unfreeze()
