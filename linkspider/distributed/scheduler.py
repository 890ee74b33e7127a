"""scrapy-redis' scheduler over the shared frontier, adapted to Scrapy 2.13+.

Set by the ``backlinks_distributed`` spider (``SCHEDULER``). What it changes in
scrapy-redis 0.9's ``Scheduler`` and ``PriorityQueue``:

* the Redis client, key names and duplicate filter come from the crawl (its name and the
  definition ``linkspider enqueue`` stored), not from ``REDIS_*`` / ``SCHEDULER_*``
  settings that every worker would have to repeat identically;
* a request is popped by :meth:`Frontier.pop_request`, which marks the worker busy in the
  same atomic step (how the workers know when the crawl is finished);
* nothing is flushed when a worker closes: the others may still be crawling
  (``linkspider enqueue --reset`` starts over);
* a request new to the duplicate filter is added to it and pushed onto the frontier in one
  Redis call (a Lua script), not two;
* stats are counted without the ``spider`` argument Scrapy 2.13 deprecated;
* a worker takes a request from Redis only while fewer than ``LINKSPIDER_REDIS_PREFETCH``
  (default 4) of its requests wait in its downloader (for a politeness delay, a free
  connection or a middleware such as robots.txt). Scrapy's engine would otherwise take
  up to ``CONCURRENT_REQUESTS`` at once, and with few pages the first worker would
  hold them all while the others idle. Requests that can be sent at once (a free slot) never count.

Requests are stored pickled (scrapy-redis' default): anyone who can write to the Redis
database can run code on the workers, so keep Redis private (see the README).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from linkspider.core.setting_values import int_setting
from linkspider.distributed.dupefilter import SetDupeFilter, make_dupefilter
from linkspider.distributed.frontier import Frontier, frontier_for
from linkspider.settings_reference import default_of

logger = logging.getLogger(__name__)

DEFAULT_PREFETCH = default_of("LINKSPIDER_REDIS_PREFETCH", int)


class SharedPriorityQueue(PriorityQueue):  # type: ignore[misc]  # untyped base
    """scrapy-redis' priority queue (a sorted set, lowest depth first), popping atomically
    with the worker's busy mark.

    Requests of equal priority are spread pseudo-randomly (a fraction below 1 is added to
    the score, from a hash of the URL) instead of coming out sorted by their pickled bytes,
    that is by URL and so by site: a worker's next 64 requests then span many sites, which
    keeps its per-site download slots busy, much as Scrapy's own
    ``DownloaderAwarePriorityQueue`` does in one process.
    """

    def __init__(self, frontier: Frontier, spider: Spider) -> None:
        super().__init__(frontier.server, spider, frontier.keys.requests)
        self.frontier = frontier

    def push(self, request: Request) -> None:
        self.server.execute_command("ZADD", *self.entry(request))

    def entry(self, request: Request) -> tuple[str, float, bytes]:
        """``(key, score, encoded request)`` of ``request`` in the sorted set."""
        data: bytes = self._encode_request(request)
        digest = hashlib.blake2b(request.url.encode(), digest_size=4).digest()
        spread = int.from_bytes(digest, "big")
        return self.key, -request.priority + spread / 2**32, data

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.frontier.pop_request()
        if data is None:
            return None
        request: Request = self._decode_request(data)
        return request


class SharedScheduler(RedisScheduler):  # type: ignore[misc]  # untyped base
    """The scheduler of a ``backlinks_distributed`` worker (see the module docstring)."""

    def __init__(
        self,
        frontier: Frontier,
        dupefilter: SetDupeFilter,
        stats: StatsCollector | None,
        prefetch: int = DEFAULT_PREFETCH,
        waiting: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(
            server=frontier.server,
            persist=True,
            queue_key=frontier.keys.requests,
            dupefilter=dupefilter,
            dupefilter_key=frontier.keys.dupefilter,
        )
        self.frontier = frontier
        self.stats = stats
        self.prefetch = prefetch
        self.waiting = waiting or (lambda: 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        frontier = frontier_for(crawler)
        definition = frontier.load_definition()
        settings = crawler.settings
        debug = settings.getbool("DUPEFILTER_DEBUG")
        prefetch = int_setting(settings, "LINKSPIDER_REDIS_PREFETCH", minimum=1)
        dupefilter = make_dupefilter(frontier, definition.dupefilter, debug)
        return cls(frontier, dupefilter, crawler.stats, prefetch, lambda: waiting(crawler))

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = SharedPriorityQueue(self.frontier, spider)
        if self.frontier.worker:
            logger.info(
                f"crawl {self.frontier.keys.crawl!r}: worker {self.frontier.worker} joined, "
                f"{len(self.queue)} request(s) queued in Redis"
            )

    def close(self, reason: str) -> None:
        """Keep the frontier and the duplicate filter: other workers may be crawling."""

    def enqueue_request(self, request: Request) -> bool:
        if request.dont_filter:
            self.queue.push(request)
        elif self.df.request_seen(request, push=lambda: self.queue.entry(request)):
            self.df.log(request, self.spider)
            return False
        # else: new, and pushed onto the frontier by the duplicate filter's own Redis call
        self._count("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.waiting() >= self.prefetch:
            return None  # leave the queued requests to idle workers (see the docstring)
        request: Request | None = self.queue.pop()
        if request is not None:
            self._count("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return bool(len(self.queue) > 0)

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


def waiting(crawler: Crawler) -> int:
    """Requests the crawler's downloader holds but is not transferring yet: in a slot's
    queue (politeness delay, no free connection) or in a downloader middleware.

    ``Downloader.active`` gains a request as soon as the engine takes it from the
    scheduler (synchronously), a slot's ``queue`` only after the middlewares ran: counting
    the queues alone would let the engine take many requests in one loop.
    """
    downloader: Any = getattr(crawler.engine, "downloader", None)
    if downloader is None:
        return 0
    slots = getattr(downloader, "slots", None) or {}
    transferring = sum(len(slot.transferring) for slot in slots.values())
    return max(len(downloader.active) - transferring, 0)


def open_for_enqueue(frontier: Frontier, spider: Spider) -> SharedScheduler:
    """A scheduler outside any crawl, for ``linkspider enqueue`` to queue seed requests."""
    definition = frontier.load_definition()
    scheduler = SharedScheduler(frontier, make_dupefilter(frontier, definition.dupefilter), None)
    scheduler.open(spider)
    return scheduler
