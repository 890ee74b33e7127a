"""Render pages whose links scripts write: ``-a render=off|auto|always``.

Every page is first fetched raw, by Scrapy. When that response is an HTML page (status
200, GET) and the mode is ``always``, or ``auto`` and its HTML looks client-rendered
(:func:`linkspider.extract.client_rendered.client_rendered`), this middleware sends the
same URL to the browser instead of handing the raw response to the spider: a new request
with ``meta["playwright"] = True`` that carries the raw response. The browser is given the
raw HTML (no second fetch, :mod:`linkspider.render.page`), runs its scripts and settles;
what comes back goes to the spider as the *raw* response again, with the rendered DOM in
meta ``linkspider_rendered_dom``, and the spider extracts links from both
(:func:`linkspider.extract.rendered.rendered_page_rows`).

The render request goes through the downloader middlewares like any page: robots.txt and
the SSRF guard check it again (answered from their caches), the page budget does not
count it twice (``linkspider_budgeted``). A render that fails (timeout, browser crash) or
that ends on another host loses nothing: the spider gets the raw response, and
``pages.csv`` says why (``render_reason`` = ``failed: ...``).

Priority: lowest of the downloader middlewares (process_response runs last), so it sees
the response the spider would see: decompressed, after redirects, passed by the SSRF
guard.

Settings: ``LINKSPIDER_RENDER`` (``off``/``auto``/``always``; ``off`` disables this
component), ``LINKSPIDER_RENDER_SETTLE``, ``LINKSPIDER_PARSE_MAX_BYTES`` (bytes the
heuristic reads). Request meta: ``linkspider_render_raw`` (the raw response, on render
requests), ``linkspider_render_reason`` (why it is rendered, or why rendering failed),
``linkspider_rendered_dom`` (the DOM, on the response to the spider). Stats:
``linkspider/render/pages``, ``linkspider/render/scheduled``,
``linkspider/render/reason/<signal>``, ``linkspider/render/failed/<kind>``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.statscollectors import StatsCollector
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from linkspider.core.failures import failure_kind
from linkspider.core.meta import (
    META_RENDER_RAW,
    META_RENDER_REASON,
    META_RENDER_SERVED_RAW,
    META_RENDERED_DOM,
    META_ROBOTS_FETCH,
    META_SITE,
)
from linkspider.core.setting_values import int_setting
from linkspider.extract.client_rendered import RenderSignals
from linkspider.extract.crawl_page import RenderCheck
from linkspider.extract.html import is_html
from linkspider.extract.rendered import same_host
from linkspider.offload.pool import pool_for
from linkspider.render.browser import CONTEXT_NAME, CONTEXT_OPTIONS, HANDLER, RenderOptions
from linkspider.render.page import settle_page

logger = logging.getLogger(__name__)

#: Playwright's exception names -> failure kinds.
_PLAYWRIGHT_KINDS = {"TimeoutError": "timeout", "TargetClosedError": "browser-closed",
                     "Error": "browser-error"}  # fmt: skip


class RenderMiddleware:
    """Sends HTML pages to the browser under ``render=always|auto`` (see the module).

    Settings: ``LINKSPIDER_RENDER``, ``LINKSPIDER_RENDER_SETTLE``,
    ``LINKSPIDER_PARSE_MAX_BYTES``. Meta: ``linkspider_render_raw``,
    ``linkspider_render_reason``, ``linkspider_rendered_dom``.
    """

    def __init__(
        self, mode: str, settle: float, max_bytes: int, stats: StatsCollector,
        crawler: Crawler,
    ) -> None:  # fmt: skip
        self.crawler = crawler
        self.mode = mode
        self.settle = settle
        self.max_bytes = max_bytes
        self.stats = stats
        self._logged_hosts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderMiddleware:
        settings = crawler.settings
        options = RenderOptions.from_settings(settings)
        if options.mode == "off":
            raise NotConfigured("LINKSPIDER_RENDER is off")
        handler = settings.getdict("DOWNLOAD_HANDLERS").get("https")
        if handler != HANDLER and not isinstance(handler, type):
            # The backlinks spider installs scrapy-playwright (configure_rendering); other
            # spiders do not render.
            raise NotConfigured("scrapy-playwright's download handler is not installed")
        assert crawler.stats is not None
        max_bytes = int_setting(settings, "LINKSPIDER_PARSE_MAX_BYTES", minimum=1)
        return cls(options.mode, options.settle, max_bytes, crawler.stats, crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if META_RENDER_RAW in request.meta:
            return self._rendered(request, response)
        reason = await self._reason(request, response)
        if reason is None:
            return response
        self.stats.inc_value("linkspider/render/scheduled")
        return self._render_request(request, response, reason)

    def process_exception(self, request: Request, exception: Exception) -> Response | None:
        if META_RENDER_RAW not in request.meta:
            return None
        kind = failure_kind(Failure(exception))  # type: ignore[no-untyped-call]
        kind = _PLAYWRIGHT_KINDS.get(kind, kind)
        return self._raw_response(request, f"failed: {kind}")

    # -- deciding -----------------------------------------------------------------------
    async def _reason(self, request: Request, response: Response) -> str | None:
        meta = request.meta
        if (
            request.method != "GET"
            or response.status != 200
            or meta.get("playwright")
            or meta.get(META_ROBOTS_FETCH)
            or META_SITE not in meta  # only crawled pages (not target checks...)
        ):
            return None
        content_type = response.headers.get(b"Content-Type")
        ctype = content_type.decode("latin-1") if content_type else None
        if not is_html(ctype, response.body):
            return None
        if self.mode == "always":
            return "always"
        check = RenderCheck(response.body, ctype, self.max_bytes)
        signals = await self._check(check)
        if not signals.render:
            return None
        for signal in signals.reasons:
            self.stats.inc_value(f"linkspider/render/reason/{signal}")
        return "auto: " + ",".join(signals.reasons)

    async def _check(self, check: RenderCheck) -> RenderSignals:
        """The check, in an extraction process when the crawl has one."""
        pool = pool_for(self.crawler)
        signals: RenderSignals | None = await pool.answer(check) if pool is not None else None
        return signals if signals is not None else check.run()

    def _render_request(self, request: Request, response: Response, reason: str) -> Request:
        headers = {
            name.decode("latin-1").lower(): [value.decode("latin-1") for value in values]
            for name, values in response.headers.items()
        }
        raw = {"url": response.url, "status": response.status, "headers": headers,
               "body": response.body}  # fmt: skip
        meta = {
            **request.meta,
            "playwright": True,
            "playwright_context": CONTEXT_NAME,
            "playwright_context_kwargs": dict(CONTEXT_OPTIONS),
            "playwright_page_init_callback": "linkspider.render.page.prepare_page",
            "playwright_page_methods": [PageMethod(settle_page, self.settle)],
            META_RENDER_RAW: raw,
            META_RENDER_REASON: reason,
        }
        host = response.url.split("/", 3)[2] if "://" in response.url else response.url
        if host not in self._logged_hosts:
            self._logged_hosts.add(host)
            logger.info(f"render: rendering {response.url} ({reason}); more of {host} at debug")
        else:
            logger.debug(f"render: rendering {response.url} ({reason})")
        return request.replace(url=response.url, meta=meta, dont_filter=True)

    # -- the browser's answer -----------------------------------------------------------
    def _rendered(self, request: Request, response: Response) -> Response:
        raw_url = request.meta[META_RENDER_RAW]["url"]
        if not same_host(raw_url, response.url):
            return self._raw_response(request, f"failed: the page went to {response.url[:200]}")
        if not request.meta.get(META_RENDER_SERVED_RAW):
            # The raw HTML was not served (the page init callback failed): the browser
            # fetched the page itself, through the request guard. Still a rendering.
            self.stats.inc_value("linkspider/render/refetched")
        encoding = getattr(response, "encoding", None) or "utf-8"
        dom = {
            "body": response.body,
            "url": response.url,
            "content_type": f"text/html; charset={encoding}",
        }
        self.stats.inc_value("linkspider/render/pages")
        return self._raw_response(request, str(request.meta.get(META_RENDER_REASON, "")), dom)

    def _raw_response(
        self, request: Request, reason: str, dom: dict[str, Any] | None = None
    ) -> Response:
        """The raw response again, for the spider; the DOM (if any) in meta."""
        meta = request.meta
        raw = meta.pop(META_RENDER_RAW)
        meta[META_RENDER_REASON] = reason
        if dom is not None:
            meta[META_RENDERED_DOM] = dom
        else:
            kind = reason.removeprefix("failed: ").split(" ", 1)[0]
            self.stats.inc_value(f"linkspider/render/failed/{kind}")
            logger.warning(f"render: {raw['url']}: {reason}; its raw HTML is used")
        for key in ("playwright_page_methods", "playwright_page_init_callback"):
            meta.pop(key, None)
        return HtmlResponse(
            url=raw["url"],
            status=raw["status"],
            headers=raw["headers"],
            body=raw["body"],
            request=request,
            flags=["rendered"] if dom is not None else ["render-failed"],
        )
