"""scrapy-playwright's download handler, one instance for http and https.

Scrapy builds a handler per scheme; scrapy-playwright's would then run two Playwright
drivers and, once pages of both schemes are rendered, two browsers, each with its own
page limit. This subclass hands the same instance to both schemes and closes it once.
Pages that are not rendered are downloaded by Scrapy's HTTP/1.1 handler, which it extends.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

_ATTRIBUTE = "_linkspider_render_handler"


class RenderDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]
    """``DOWNLOAD_HANDLERS`` for http and https under ``render=auto|always``."""

    _closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        handler = getattr(crawler, _ATTRIBUTE, None)
        if handler is None:
            handler = cls(crawler)
            setattr(crawler, _ATTRIBUTE, handler)
        return handler

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await super().close()
