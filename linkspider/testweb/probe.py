"""A test extension that records each download slot's politeness state per response.

Tests enable it to assert the crawl-delay *mechanism* (the delay and jitter Scrapy's
downloader will enforce for a host) instead of measuring gaps between log timestamps,
which a loaded machine stretches or squeezes. Scrapy's downloader itself guarantees that
requests of one slot are sent at least ``slot.download_delay()`` apart.

Enable it with ``-s LINKSPIDER_SLOT_PROBE_FILE=path.jsonl`` and the extension in
``EXTENSIONS_BASE`` (see ``probe_settings``). One JSON line per response: host, slot key,
delay, jitter, concurrency.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from linkspider.core.jsonl import JsonlWriter

SETTING = "LINKSPIDER_SLOT_PROBE_FILE"


class SlotProbe:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self._file: JsonlWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SlotProbe:
        path = crawler.settings.get(SETTING)
        if not path:
            raise NotConfigured(f"{SETTING} is not set")
        probe = cls(crawler, Path(path))
        # response_received is sent by the engine after every response_downloaded
        # handler (AutoThrottle's, and the robots middleware's that raises the delay back
        # to Crawl-delay) has run: the probe sees the delay the next request will get.
        crawler.signals.connect(probe.response_received, signal=signals.response_received)
        crawler.signals.connect(probe.spider_closed, signal=signals.spider_closed)
        return probe

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        downloader: Any = getattr(self.crawler.engine, "downloader", None)
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if downloader is not None and key else None
        if slot is None:
            return
        if self._file is None:
            self._file = JsonlWriter(self.path)
        record = {
            "url": request.url,
            "host": urlsplit(request.url).hostname,
            "slot": key,
            "delay": slot.delay,
            "jitter": float(getattr(slot, "jitter", 0.0)),
            "concurrency": slot.concurrency,
        }
        self._file.write(record)

    def spider_closed(self, spider: Spider) -> None:
        if self._file is not None:
            self._file.close()


def probe_settings(path: Path) -> dict[str, str]:
    """``-s`` settings that switch the probe on, next to Scrapy's own extensions."""
    from scrapy.settings import default_settings

    base = dict(default_settings.EXTENSIONS_BASE)
    base[f"{__name__}.SlotProbe"] = 1000
    return {SETTING: str(path), "EXTENSIONS_BASE": json.dumps(base)}
