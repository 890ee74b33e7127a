"""Redirect loops and endless redirect chains become errors, not silent drops.

Scrapy drops a redirect to a URL it has already requested (the duplicate filter) and
discards a chain longer than ``REDIRECT_MAX_TIMES`` with ``IgnoreRequest``: either way the
page vanishes without a trace. This middleware sits just before ``RedirectMiddleware``
and ``MetaRefreshMiddleware`` (it sees the 3xx or meta-refresh response first) and fails
the request instead, so the page gets an ``errors.csv`` row: ``redirect-loop`` when the
target is already in the chain, ``too-many-redirects`` when the chain is at
``REDIRECT_MAX_TIMES``. A meta refresh counts when Scrapy would follow it (same rules:
``METAREFRESH_ENABLED``, ``METAREFRESH_MAXDELAY``, ``METAREFRESH_IGNORE_TAGS``).

Settings: ``REDIRECT_ENABLED``, ``REDIRECT_MAX_TIMES``, ``METAREFRESH_*`` (Scrapy's own).
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import get_meta_refresh
from w3lib.url import canonicalize_url, safe_url_string

from linkspider.extract.html import may_have_meta_refresh

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RedirectLoopError(Exception):
    """A redirect back to a URL already in the redirect chain."""

    failure_kind = "redirect-loop"


class TooManyRedirectsError(Exception):
    """A redirect chain longer than ``REDIRECT_MAX_TIMES``."""

    failure_kind = "too-many-redirects"


class RedirectLoopMiddleware:
    """Fails redirect loops and over-long chains (see the module).

    Settings: ``REDIRECT_ENABLED``, ``REDIRECT_MAX_TIMES``. Meta: Scrapy's
    ``dont_redirect``, ``handle_httpstatus_all``, ``handle_httpstatus_list``,
    ``redirect_urls``, ``redirect_times``.
    """

    def __init__(
        self,
        max_times: int,
        stats: StatsCollector,
        refresh: bool = False,
        refresh_max_delay: float = 100.0,
        refresh_ignore_tags: list[str] | None = None,
    ) -> None:
        self.max_times = max_times
        self.stats = stats
        self.refresh = refresh
        self.refresh_max_delay = refresh_max_delay
        self.refresh_ignore_tags = refresh_ignore_tags or []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        settings = crawler.settings
        if not settings.getbool("REDIRECT_ENABLED", True):
            raise NotConfigured("redirects are not followed")
        assert crawler.stats is not None
        return cls(
            settings.getint("REDIRECT_MAX_TIMES", 20),
            crawler.stats,
            refresh=settings.getbool("METAREFRESH_ENABLED", True),
            refresh_max_delay=settings.getfloat("METAREFRESH_MAXDELAY", 100.0),
            refresh_ignore_tags=settings.getlist("METAREFRESH_IGNORE_TAGS"),
        )

    def process_response(self, request: Request, response: Response) -> Response:
        meta = request.meta
        if meta.get("dont_redirect"):
            return response
        target = self._location(request, response) or self._meta_refresh(request, response)
        if target is None:
            return response
        chain = [*meta.get("redirect_urls", []), request.url]
        if _canonical(target) in {_canonical(url) for url in chain}:
            self.stats.inc_value("linkspider/redirects/loop")
            raise RedirectLoopError(f"redirect loop: {' -> '.join([*chain, target])}"[:500])
        if meta.get("redirect_times", 0) >= self.max_times:
            self.stats.inc_value("linkspider/redirects/too_many")
            raise TooManyRedirectsError(
                f"more than {self.max_times} redirects, from {chain[0]}"[:500]
            )
        return response

    def _location(self, request: Request, response: Response) -> str | None:
        """The 3xx target RedirectMiddleware would follow, if any."""
        meta = request.meta
        if (
            response.status not in _REDIRECTS
            or meta.get("handle_httpstatus_all")
            or response.status in meta.get("handle_httpstatus_list", ())
        ):
            return None
        location = response.headers.get(b"Location")
        if not location:
            return None
        return urljoin(request.url, safe_url_string(location.decode("latin-1").strip()))

    def _meta_refresh(self, request: Request, response: Response) -> str | None:
        """The meta-refresh target MetaRefreshMiddleware would follow, if any."""
        if (
            not self.refresh
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in ("http", "https")
            or not may_have_meta_refresh(response.body, response.headers.get(b"Content-Type"))
        ):
            return None
        interval, url = get_meta_refresh(response, ignore_tags=self.refresh_ignore_tags)
        if not url or interval is None or interval >= self.refresh_max_delay:
            return None
        return url if url.split(":", 1)[0].lower() in ("http", "https") else None


def _canonical(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)
