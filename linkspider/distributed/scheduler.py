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
* stats are counted without the ``spider`` argument Scrapy 2.13 deprecated.

Requests are stored pickled (scrapy-redis' default): anyone who can write to the Redis
database can run code on the workers, so keep Redis private (see the README).
"""

from __future__ import annotations

import hashlib
import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from linkspider.distributed.dupefilter import SetDupeFilter, make_dupefilter
from linkspider.distributed.frontier import Frontier, frontier_for

logger = logging.getLogger(__name__)


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
        data = self._encode_request(request)
        digest = hashlib.blake2b(request.url.encode(), digest_size=4).digest()
        spread = int.from_bytes(digest, "big")
        score = -request.priority + spread / 2**32
        self.server.execute_command("ZADD", self.key, score, data)

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.frontier.pop_request()
        if data is None:
            return None
        request: Request = self._decode_request(data)
        return request


class SharedScheduler(RedisScheduler):  # type: ignore[misc]  # untyped base
    """The scheduler of a ``backlinks_distributed`` worker (see the module docstring)."""

    def __init__(
        self, frontier: Frontier, dupefilter: SetDupeFilter, stats: StatsCollector | None
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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        frontier = frontier_for(crawler)
        definition = frontier.load_definition()
        debug = crawler.settings.getbool("DUPEFILTER_DEBUG")
        return cls(frontier, make_dupefilter(frontier, definition.dupefilter, debug), crawler.stats)

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
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        self._count("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request: Request | None = self.queue.pop()
        if request is not None:
            self._count("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return bool(len(self.queue) > 0)

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


def open_for_enqueue(frontier: Frontier, spider: Spider) -> SharedScheduler:
    """A scheduler outside any crawl, for ``linkspider enqueue`` to queue seed requests."""
    definition = frontier.load_definition()
    scheduler = SharedScheduler(frontier, make_dupefilter(frontier, definition.dupefilter), None)
    scheduler.open(spider)
    return scheduler
