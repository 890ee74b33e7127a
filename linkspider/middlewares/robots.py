"""robots.txt per RFC 9309, replacing Scrapy's ``RobotsTxtMiddleware``.

What differs from Scrapy's middleware:

* robots.txt is kept per origin (scheme, host, port), so the http and https sites of a host
  each have their own, and a failed https fetch does not decide for http;
* 429, 5xx and network failures mean **complete disallow** (Scrapy allows everything): the
  origin's pages are held back and robots.txt is fetched again later, ``retry_delay``
  seconds after the first failure and twice as long after each next one. When it answers,
  the held pages go on; after ``retries`` failed retries they are given up
  (``robots-unavailable`` in ``blocked_pages.csv``; when the host did not answer at all,
  also an ``errors.csv`` row with the network error, so a bare-domain seed can fall back
  from https to http). Held pages never stop the crawl from ending: the wait is bounded;
* a bare-domain seed whose https robots.txt got no answer (refused, timeout, TLS) is not
  held: it falls back to http at once. A host refusing connections on both schemes is
  given up at once, with no retries. The held pages and hosts are in the stats
  ``linkspider/robots/held_pages`` and ``held_hosts`` (the progress line shows them);
* redirects are followed up to 5 hops, across hosts (more: no rules, like a 404);
* at most ``LINKSPIDER_ROBOTS_MAX_BYTES`` of the file are parsed: a bigger file is cut
  after its last complete line, not dropped. Only that much is downloaded (the download
  is stopped there, whatever ``DOWNLOAD_MAXSIZE`` says) and unpacked (a gzip bomb gives
  its first 500 KiB);
* ``Crawl-delay`` of our group sets the host's download delay (at most
  ``LINKSPIDER_CRAWL_DELAY_MAX``), and stays in force when AutoThrottle adjusts delays;
* entries expire after ``LINKSPIDER_ROBOTS_CACHE_SECONDS`` (24 h) and are fetched again.

Group matching (Protego): the group whose product token is ``ROBOTSTXT_USER_AGENT``
(``linkspider``), compared case-insensitively at a token boundary, else ``*``; rules by
longest match. Disallowed pages are listed in ``blocked_pages.csv`` (``robots-disallowed``).

Settings: ``ROBOTSTXT_OBEY`` (on/off), ``ROBOTSTXT_USER_AGENT``,
``LINKSPIDER_ROBOTS_MAX_BYTES`` (500 KiB), ``LINKSPIDER_CRAWL_DELAY_MAX`` (30 s),
``LINKSPIDER_ROBOTS_RETRIES`` (2), ``LINKSPIDER_ROBOTS_RETRY_DELAY`` (30 s),
``LINKSPIDER_ROBOTS_CACHE_SECONDS`` (86400).

Request meta: ``dont_obey_robotstxt`` (skip the check), ``linkspider_robots_held`` (set on
a request released after waiting for robots.txt).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from protego import Protego
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured, StopDownload
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from linkspider.core.failures import FALLBACK_KINDS, NETWORK_KINDS, PolicyDrop, failure_kind
from linkspider.core.meta import (
    META_FALLBACK,
    META_ROBOTS_BYTES,
    META_ROBOTS_DONT_FILTER,
    META_ROBOTS_FETCH,
    META_ROBOTS_HELD,
    META_ROBOTS_RAW,
)
from linkspider.core.setting_values import float_setting, int_setting
from linkspider.core.signals import (
    ROBOTS_UNAVAILABLE,
    report_blocked,
    robots_rules,
)
from linkspider.middlewares.robots_refusal import report_disallowed
from linkspider.policy.robots import (
    DEFAULT_MAX_BYTES,
    Entry,
    Outcome,
    RobotsCache,
    State,
    decode_robots,
    decoded_head,
    origin_of,
    other_scheme_origin,
    robots_url,
    status_outcome,
    truncate_robots,
)

logger = logging.getLogger(__name__)


class RobotsBlocked(PolicyDrop):
    """A page request robots.txt does not allow, or that waits for robots.txt."""


class RobotsUnreachableError(Exception):
    """robots.txt of the page's origin never answered: the page is not requested.

    ``failure_kind`` is the network error of the last robots.txt fetch (``timeout``...),
    so that errors.csv and the https-to-http seed fallback treat the page like its host.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.failure_kind = kind


@dataclass(frozen=True)
class RobotsOptions:
    """The robots.txt settings, read once (defaults: the settings registry); a negative
    value is an error naming the setting."""

    retries: int
    retry_delay: float
    max_age: float
    max_bytes: int
    crawl_delay_cap: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RobotsOptions:
        return cls(
            retries=int_setting(settings, "LINKSPIDER_ROBOTS_RETRIES", minimum=0),
            retry_delay=float_setting(settings, "LINKSPIDER_ROBOTS_RETRY_DELAY", minimum=0),
            max_age=float_setting(settings, "LINKSPIDER_ROBOTS_CACHE_SECONDS", minimum=0),
            max_bytes=int_setting(settings, "LINKSPIDER_ROBOTS_MAX_BYTES", minimum=0),
            crawl_delay_cap=float_setting(settings, "LINKSPIDER_CRAWL_DELAY_MAX", minimum=0),
        )


class RobotsPolicyMiddleware:
    """robots.txt per RFC 9309 (see the module).

    Settings: ``ROBOTSTXT_OBEY``, ``ROBOTSTXT_USER_AGENT``, ``LINKSPIDER_ROBOTS_MAX_BYTES``,
    ``LINKSPIDER_CRAWL_DELAY_MAX``, ``LINKSPIDER_ROBOTS_RETRIES``,
    ``LINKSPIDER_ROBOTS_RETRY_DELAY``, ``LINKSPIDER_ROBOTS_CACHE_SECONDS``.
    Meta: ``dont_obey_robotstxt``; ``linkspider_robots_held`` (set on released requests).
    """

    def __init__(
        self,
        crawler: Crawler,
        cache: RobotsCache,
        user_agent: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        crawl_delay_cap: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.crawler = crawler
        self.cache = cache
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self.crawl_delay_cap = crawl_delay_cap
        self.clock = clock
        self.held: dict[str, list[Request]] = {}  # origin -> page requests waiting
        self.crawl_delays: dict[str, float] = {}  # host -> seconds
        self._waiters: dict[str, list[Deferred[None]]] = {}  # origin -> fetch in progress
        self._logged: set[tuple[str, str]] = set()
        self._disallowed_logged: set[str] = set()
        self._idle_retries: set[str] = set()  # origins due for a retry nobody waited for

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsPolicyMiddleware:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("ROBOTSTXT_OBEY is off")
        options = RobotsOptions.from_settings(settings)
        cache = RobotsCache(
            retries=options.retries, retry_delay=options.retry_delay, max_age=options.max_age
        )
        user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        mw = cls(
            crawler,
            cache,
            str(user_agent),
            max_bytes=options.max_bytes,
            crawl_delay_cap=options.crawl_delay_cap,
        )
        crawler.signals.connect(mw.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(mw.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(mw.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        if META_ROBOTS_DONT_FILTER in request.meta:
            # Released after waiting: dont_filter got it past the duplicate filter once;
            # requests made from it (fallbacks, redirects) must not inherit that.
            request.dont_filter = bool(request.meta.pop(META_ROBOTS_DONT_FILTER))
        if urlparse_cached(request).scheme not in ("http", "https"):
            return
        origin = origin_of(request.url)
        entry = await self._entry(origin)
        if entry.state is State.ALLOW_ALL:
            return
        if entry.state is State.RULES:
            if not entry.allows(request.url, self.user_agent):
                self._disallowed(request, origin)
            return
        if entry.state is State.WAITING:
            if request.meta.get(META_FALLBACK) and entry.error_kind in FALLBACK_KINDS:
                self._fall_back(request, origin, entry)
            self._hold(request, origin, entry)
        self._give_up(request, origin, entry)

    # -- robots.txt fetching ----------------------------------------------------------
    async def _entry(self, origin: str) -> Entry:
        while True:
            entry = self.cache.get(origin, self.clock())
            if entry is not None:
                return entry
            waiter: Deferred[None] = Deferred()
            first = origin not in self._waiters
            self._waiters.setdefault(origin, []).append(waiter)
            if first:
                deferred_from_coro(self._fetch(origin))
            await maybe_deferred_to_future(waiter)
            fetched = self.cache.peek(origin)
            if fetched is not None:  # the answer of the fetch waited for, even if already
                return fetched  # expired (LINKSPIDER_ROBOTS_CACHE_SECONDS=0)

    async def _fetch(self, origin: str) -> None:
        try:
            entry = await self._download(origin)
        except Exception as exc:  # never leave requests waiting on a bug
            logger.exception(f"robots.txt of {origin}: unexpected error")
            entry = self.cache.store_unreachable(origin, self.clock(), repr(exc))
        for waiter in self._waiters.pop(origin, []):
            waiter.callback(None)
        if entry.state is State.WAITING:
            self.stats.inc_value("linkspider/robots/unreachable")
            call_later(max(entry.expires_at - self.clock(), 0.0), self._retry, origin)
        else:
            self._release(origin)
        other = other_scheme_origin(origin)
        # Refused on both schemes: the other one's retries would be as useless.
        if (
            other
            and self.cache.refused_both(origin, entry.error_kind)
            and self.cache.give_up(other, self.clock()) is not None
        ):
            self._release(other)
        if entry.state is State.RULES:
            self._apply_crawl_delay(origin, entry)
            self.crawler.signals.send_catch_log(
                signal=robots_rules, origin=origin, entry=entry, user_agent=self.user_agent
            )

    async def _download(self, origin: str) -> Entry:
        url = robots_url(origin)
        assert self.crawler.engine is not None
        for hops in range(7):
            request = Request(
                url,
                callback=NO_CALLBACK,
                dont_filter=True,
                meta={
                    "dont_obey_robotstxt": True,
                    "dont_redirect": True,
                    "dont_retry": True,
                    "handle_httpstatus_all": True,
                    META_ROBOTS_FETCH: True,
                    # Our own cap applies (bytes_received): the start of a bigger file
                    # is parsed, not refused.
                    **({"download_maxsize": 0, "download_warnsize": 0} if self.max_bytes else {}),
                },
            )
            self.stats.inc_value("linkspider/robots/fetched")
            try:
                response = await self.crawler.engine.download_async(request)
            except Exception as exc:
                raw = request.meta.get(META_ROBOTS_RAW)
                if isinstance(raw, Response):  # unpacking failed or was over the cap
                    return self._parse_packed(origin, raw)
                kind = failure_kind(Failure(exc))  # type: ignore[no-untyped-call]
                detail = kind if kind in NETWORK_KINDS else f"{kind}: {exc}"
                error_kind = kind if kind in NETWORK_KINDS else ""
                return self.cache.store_unreachable(origin, self.clock(), detail, error_kind)
            self.stats.inc_value(f"linkspider/robots/status/{response.status}")
            location = response.headers.get(b"Location")
            outcome = status_outcome(response.status, bool(location), hops)
            if outcome is Outcome.FOLLOW:
                assert location is not None
                url = urljoin(response.url, location.decode("latin-1").strip())
                if urlsplit(url).scheme in ("http", "https"):
                    continue
                outcome = Outcome.ALLOW_ALL
            now = self.clock()
            if outcome is Outcome.PARSE:
                return self._parse(origin, response.body, now)
            if outcome is Outcome.ALLOW_ALL:
                return self.cache.store_allow_all(origin, now, f"HTTP {response.status}")
            return self.cache.store_unreachable(origin, now, f"HTTP {response.status}")
        raise AssertionError("unreachable: status_outcome stops following after 5 hops")

    def _parse_packed(self, origin: str, raw: Response) -> Entry:
        """A compressed robots.txt over the cap (gzip bomb): its first bytes, unpacked."""
        now = self.clock()
        status = status_outcome(raw.status)
        if status is not Outcome.PARSE:
            return self.cache.store_allow_all(origin, now, f"HTTP {raw.status}")
        try:
            body = decoded_head(raw.body, raw.headers.getlist(b"Content-Encoding"), self.max_bytes)
        except ValueError as exc:  # like an unparsable file: no rules were read
            logger.warning(f"robots.txt of {origin} could not be unpacked: {exc}")
            return self.cache.store_allow_all(origin, now, "unparsable")
        return self._parse(origin, body, now)

    def _parse(self, origin: str, whole: bytes, now: float) -> Entry:
        body, cut = truncate_robots(whole, self.max_bytes)
        if cut:
            self.stats.inc_value("linkspider/robots/truncated")
            logger.warning(
                f"robots.txt of {origin} is over {self.max_bytes} bytes: only its first "
                f"{len(body)} bytes are used (LINKSPIDER_ROBOTS_MAX_BYTES)"
            )
        try:
            rules = Protego.parse(decode_robots(body))
        except Exception:  # a parser bug must not stop the crawl; no rules were read
            logger.exception(f"robots.txt of {origin} could not be parsed")
            return self.cache.store_allow_all(origin, now, "unparsable")
        return self.cache.store_rules(origin, rules, now, truncated=cut)

    def _retry(self, origin: str) -> None:
        if origin in self._waiters or not self.cache.due(origin, self.clock()):
            return
        if not self.held.get(origin):  # nobody waits: fetch when a page does (_hold)
            self._idle_retries.add(origin)
            return
        self._idle_retries.discard(origin)
        self.stats.inc_value("linkspider/robots/retries")
        self._waiters[origin] = []
        deferred_from_coro(self._fetch(origin))

    # -- decisions --------------------------------------------------------------------
    def _disallowed(self, request: Request, origin: str) -> None:
        report_disallowed(self.crawler, request, origin, self._disallowed_logged)
        raise RobotsBlocked("forbidden by robots.txt")

    def _hold(self, request: Request, origin: str, entry: Entry) -> None:
        self.held.setdefault(origin, []).append(request)
        self.stats.inc_value("linkspider/robots/held")
        self._count_held()
        if origin in self._idle_retries:  # its retry time passed while nobody waited
            self._retry(origin)
        wait = max(entry.expires_at - self.clock(), 0.0)
        self._log_once(
            origin,
            f"held-{entry.attempts}",
            logging.WARNING,
            f"robots.txt of {origin} unreachable ({entry.detail}): its pages wait, "
            f"retry {entry.attempts} of {self.cache.retries} in {wait:.1f} s",
        )
        raise RobotsBlocked(f"waiting for robots.txt of {origin}")

    def _fall_back(self, request: Request, origin: str, entry: Entry) -> None:
        """A bare-domain seed tries http now rather than wait for https robots.txt."""
        self.stats.inc_value("linkspider/robots/fallback")
        self._log_once(
            origin,
            "fall-back",
            logging.INFO,
            f"robots.txt of {origin} unreachable ({entry.detail}): seeds try http at once",
        )
        raise RobotsUnreachableError(entry.error_kind, f"robots.txt of {origin}: {entry.detail}")

    def _give_up(self, request: Request, origin: str, entry: Entry) -> None:
        self.stats.inc_value("linkspider/robots/unavailable")
        detail = f"robots.txt unreachable ({entry.detail}) after {entry.attempts} attempt(s)"
        self._log_once(
            origin, "gave-up", logging.WARNING, f"{origin}: {detail}; its pages are not crawled"
        )
        # A seed about to fall back to http is not lost yet: its fallback is reported if needed.
        if not (request.meta.get(META_FALLBACK) and entry.error_kind in FALLBACK_KINDS):
            report_blocked(self.crawler, request, ROBOTS_UNAVAILABLE, detail)
        if entry.error_kind:
            raise RobotsUnreachableError(entry.error_kind, f"{detail}; page not requested")
        raise RobotsBlocked(detail)

    def _count_held(self) -> None:
        """Pages and hosts waiting for robots.txt now, for the progress line."""
        self.stats.set_value("linkspider/robots/held_pages", sum(map(len, self.held.values())))
        hosts = {
            urlsplit(robots_url(origin)).hostname for origin, pages in self.held.items() if pages
        }
        self.stats.set_value("linkspider/robots/held_hosts", len(hosts))

    def _release(self, origin: str) -> None:
        held = self.held.pop(origin, [])
        if held:
            self._count_held()
        assert self.crawler.engine is not None or not held
        for request in held:
            meta = {
                **request.meta,
                META_ROBOTS_HELD: True,
                META_ROBOTS_DONT_FILTER: request.dont_filter,
            }
            self.crawler.engine.crawl(request.replace(dont_filter=True, meta=meta))  # type: ignore[union-attr]

    def _log_once(self, origin: str, what: str, level: int, message: str) -> None:
        if (origin, what) not in self._logged:
            self._logged.add((origin, what))
            logger.log(level, message)

    # -- Crawl-delay ------------------------------------------------------------------
    def _apply_crawl_delay(self, origin: str, entry: Entry) -> None:
        delay = entry.crawl_delay(self.user_agent, self.crawl_delay_cap)
        host = urlsplit(robots_url(origin)).hostname or ""
        if delay <= self.crawl_delays.get(host, 0.0):
            return
        self.crawl_delays[host] = delay
        self.stats.inc_value("linkspider/robots/crawl_delay_hosts")
        logger.info(f"{host}: Crawl-delay {delay:g} s (robots.txt of {origin})")
        assert self.crawler.engine is not None
        downloader = self.crawler.engine.downloader
        # Slots are made on demand and dropped when idle: new ones start with the delay.
        slot_settings = downloader.per_slot_settings.setdefault(host, {})
        slot_settings["delay"] = max(float(slot_settings.get("delay", 0.0)), delay)
        slot_settings["jitter"] = 0.0  # a random delay could go below Crawl-delay
        self._enforce(host)

    def _enforce(self, slot_key: str) -> None:
        delay = self.crawl_delays.get(slot_key)
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(slot_key)
        if delay and slot is not None and (slot.delay < delay or slot.jitter):
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0

    # -- signals ----------------------------------------------------------------------
    def bytes_received(self, data: bytes, request: Request) -> None:
        """Stop a robots.txt download once it is over the cap: its start is parsed."""
        meta = request.meta
        if not self.max_bytes or not meta.get(META_ROBOTS_FETCH):
            return
        meta[META_ROBOTS_BYTES] = received = meta.get(META_ROBOTS_BYTES, 0) + len(data)
        if received > self.max_bytes:
            raise StopDownload(fail=False)

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Connected after AutoThrottle's handler: raise its delay back to Crawl-delay."""
        if self.max_bytes and request.meta.get(META_ROBOTS_FETCH):
            # Unpacking (HttpCompressionMiddleware, next) stops at the cap; over it, the
            # packed body kept here is unpacked up to the cap by _parse_packed.
            request.meta["download_maxsize"] = self.max_bytes
            if response.headers.get(b"Content-Encoding"):
                request.meta[META_ROBOTS_RAW] = response
        if self.crawl_delays:
            self._enforce(str(request.meta.get("download_slot", "")))

    def spider_idle(self) -> None:
        if any(self.held.values()):
            raise DontCloseSpider("page requests wait for robots.txt")

    def spider_closed(self) -> None:
        waiting = sum(len(requests) for requests in self.held.values())
        if waiting:
            logger.info(f"{waiting} page request(s) were still waiting for robots.txt")
