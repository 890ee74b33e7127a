"""scrapy-playwright's download handler: one instance for http and https, started lazily.

Scrapy builds a handler per scheme; scrapy-playwright's would then run two Playwright
drivers and, once pages of both schemes are rendered, two browsers, each with its own
page limit. This subclass hands the same instance to both schemes and closes it once.

scrapy-playwright starts its Playwright driver (a Node.js process) when the engine starts.
Here it starts with the first page to render, so a ``render=auto`` crawl of sites that
need no rendering never starts it (and never starts a browser). Pages that are not
rendered are downloaded by Scrapy's HTTP/1.1 handler, which this one extends.

The lazy start overrides two private methods of scrapy-playwright (``_launch``,
``_maybe_launch_in_thread``, checked with 0.0.48); if a version lacks them, the driver
starts with the engine as scrapy-playwright intends.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

_ATTRIBUTE = "_linkspider_render_handler"


class RenderDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]
    """``DOWNLOAD_HANDLERS`` for http and https under ``render=auto|always``."""

    _closed = False
    _launched = False
    _lazy = hasattr(ScrapyPlaywrightDownloadHandler, "_launch") and hasattr(
        ScrapyPlaywrightDownloadHandler, "_maybe_launch_in_thread"
    )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        handler = getattr(crawler, _ATTRIBUTE, None)
        if handler is None:
            handler = cls(crawler)
            setattr(crawler, _ATTRIBUTE, handler)
        return handler

    async def _maybe_launch_in_thread(self) -> None:
        """At engine start: nothing yet (see the module)."""
        if not self._lazy:
            await super()._maybe_launch_in_thread()

    async def _download_request(self, request: Any, spider: Any = None) -> Any:
        if self._lazy and not self._launched:
            lock = self.__dict__.setdefault("_launch_lock", asyncio.Lock())
            async with lock:
                if not self._launched:
                    await self._launch()
                    self._launched = True
        return await super()._download_request(request, spider)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await super().close()
