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

Everything the browser does stays under the crawl's guards, whichever page does it:

* before the browser starts, the SOCKS5 proxy of :mod:`linkspider.render.proxy` starts and
  Chromium is told to connect only through it (``--proxy-server``, loopback included): no
  TCP connection, WebSockets included, reaches an address the SSRF policy refuses;
* each browser context gets a context-level route (it also sees the requests of popups,
  new windows and their frames, which scrapy-playwright's page routes do not): requests
  of pages the crawl did not open are aborted (``linkspider/render/popup_blocked``),
  others pass the request guard; ``window.open`` is disabled by an init script, and a
  popup that opens anyway (a link or form with ``target=_blank``) is closed;
* service workers are blocked (:data:`linkspider.render.browser.CONTEXT_OPTIONS`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import suppress
from typing import Any

from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from linkspider.render.guard import BrowserRequestGuard
from linkspider.render.proxy import GuardedSocksProxy

logger = logging.getLogger(__name__)

_ATTRIBUTE = "_linkspider_render_handler"
#: Runs before any script of every page and frame: no window.open popups.
NO_POPUPS_SCRIPT = "window.open = function () { return null; };"


class RenderDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]
    """``DOWNLOAD_HANDLERS`` for http and https under ``render=auto|always``."""

    _closed = False
    _launched = False
    _lazy = hasattr(ScrapyPlaywrightDownloadHandler, "_launch") and hasattr(
        ScrapyPlaywrightDownloadHandler, "_maybe_launch_in_thread"
    )

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._proxy: GuardedSocksProxy | None = None
        self._crawl_pages: weakref.WeakSet[Any] = weakref.WeakSet()  # pages the crawl opened

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        handler = getattr(crawler, _ATTRIBUTE, None)
        if handler is None:
            handler = cls(crawler)
            setattr(crawler, _ATTRIBUTE, handler)
        return handler

    @property
    def guard(self) -> BrowserRequestGuard | None:
        """The request guard (``PLAYWRIGHT_ABORT_REQUEST``, set by configure_rendering)."""
        guard = getattr(self, "abort_request", None)
        return guard if isinstance(guard, BrowserRequestGuard) else None

    async def _maybe_launch_in_thread(self) -> None:
        """At engine start: nothing yet (see the module)."""
        if not self._lazy:
            await super()._maybe_launch_in_thread()

    async def _launch(self) -> None:
        """Start the connection guard (the proxy), then the driver with it in the args."""
        guard = self.guard
        if guard is not None and not (self.config.cdp_url or self.config.connect_url):
            proxy = self._proxy = GuardedSocksProxy(guard.connection, guard.connection_refused)
            await proxy.start()
            options = dict(self.config.launch_options)
            options["args"] = proxy.browser_args(options.get("args", []))
            options.pop("proxy", None)  # Playwright would add a --proxy-server of its own
            self.config.launch_options = options
        await super()._launch()

    async def _create_browser_context(self, *args: Any, **kwargs: Any) -> Any:
        wrapper = await super()._create_browser_context(*args, **kwargs)
        context = wrapper.context
        await context.add_init_script(NO_POPUPS_SCRIPT)
        await context.route("**", self._context_route)
        return wrapper

    async def _create_page(self, request: Any, spider: Any) -> Any:
        page = await super()._create_page(request, spider)
        self._crawl_pages.add(page)
        page.on("popup", _close_popup)
        return page

    async def _context_route(self, route: Any, request: Any) -> None:
        """Requests no page route took: popups, new windows (see the module)."""
        try:
            page = request.frame.page
        except Exception:  # a worker's request: no frame
            page = None
        if page is None or page not in self._crawl_pages:
            self.stats.inc_value("linkspider/render/popup_blocked")
            await route.abort()
            return
        guard = self.guard
        if guard is not None and await guard(request):
            await route.abort()
            return
        await route.fallback()

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
        if self._proxy is not None:
            await self._proxy.close()


async def _close_popup(popup: Any) -> None:
    """A page the crawl did not open: close it (its requests are aborted meanwhile)."""
    with suppress(Exception):  # closed already, or the browser is going away
        await popup.close()
