"""How one page is rendered: from the raw HTML already fetched, then settled.

The render request carries the raw response (meta ``linkspider_render_raw``, set by
:class:`linkspider.middlewares.render.RenderMiddleware`). :func:`prepare_page` (the
request's ``playwright_page_init_callback``) answers the browser's navigation with those
bytes instead of fetching the page a second time: the site sees one page request, the
rendered DOM is built from exactly the HTML whose links were read raw, and robots.txt,
the page budget and the SSRF guard have already been applied to that fetch. Everything
else the page loads (scripts, XHR) goes to the network through the request guard
(:mod:`linkspider.render.guard`).

:func:`settle_page` (a ``playwright_page_methods`` step, after the ``load`` event)
scrolls to the bottom, for widgets that load when they come into view, and waits until no
request of the page has been in flight for :data:`QUIET` seconds, at most
``LINKSPIDER_RENDER_SETTLE`` seconds.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from contextlib import suppress
from typing import Any

from linkspider.core.meta import META_RENDER_RAW, META_RENDER_SERVED_RAW

#: Response headers passed on to the browser with the raw HTML (how it runs scripts).
BROWSER_HEADERS = ("content-type", "content-language", "content-security-policy", "referrer-policy")
QUIET = 0.3
_POLL = 0.05


class _Activity:
    """Requests of one page in flight, and when that number last changed."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.changed_at = time.monotonic()

    def started(self, _request: Any) -> None:
        self.in_flight += 1
        self.changed_at = time.monotonic()

    def ended(self, _request: Any) -> None:
        self.in_flight = max(self.in_flight - 1, 0)
        self.changed_at = time.monotonic()


_activity: weakref.WeakKeyDictionary[Any, _Activity] = weakref.WeakKeyDictionary()


async def prepare_page(page: Any, request: Any) -> None:
    """Serve the raw HTML to the page's first navigation; track its network activity."""
    activity = _activity.setdefault(page, _Activity())
    page.on("request", activity.started)
    page.on("requestfinished", activity.ended)
    page.on("requestfailed", activity.ended)
    raw = request.meta.get(META_RENDER_RAW)
    if raw is None:
        return
    served = False

    async def serve_raw(route: Any, browser_request: Any) -> None:
        nonlocal served
        frame = browser_request.frame
        if not served and browser_request.is_navigation_request() and frame.parent_frame is None:
            served = True
            headers = {
                name: ", ".join(values)
                for name, values in raw["headers"].items()
                if name in BROWSER_HEADERS
            }
            await route.fulfill(status=raw["status"], headers=headers, body=raw["body"])
            request.meta[META_RENDER_SERVED_RAW] = True
            return
        await route.fallback()  # to scrapy-playwright's handler, and the request guard

    # Routes registered last run first: this one sees each request before
    # scrapy-playwright's own handler.
    await page.route("**", serve_raw)


async def settle_page(page: Any, seconds: float) -> None:
    """Scroll to the bottom, then wait for the network to go quiet (at most ``seconds``)."""
    if seconds <= 0:
        return
    deadline = time.monotonic() + seconds
    with suppress(Exception):  # a page that navigated away or closed: render what there is
        await page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    activity = _activity.get(page)
    if activity is None:
        return
    activity.changed_at = max(activity.changed_at, time.monotonic() - QUIET + 2 * _POLL)
    while time.monotonic() < deadline:
        if activity.in_flight == 0 and time.monotonic() - activity.changed_at >= QUIET:
            return
        await asyncio.sleep(_POLL)
