"""Per-site page budgets counted in Redis, so that they hold across all workers.

``SiteBudgetMiddleware`` asks its counter for one page of a site's budget before each
fetch; with ``LINKSPIDER_BUDGET_COUNTER = "linkspider.distributed.budget.RedisBudgetCounter"``
(set by the ``backlinks_distributed`` spider) the count lives in the crawl's ``budget``
hash and the check-and-take is one atomic Lua call: N workers together fetch at most
``LINKSPIDER_MAX_PAGES_PER_SITE`` pages of a site, never N times as many.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from linkspider.distributed.frontier import Frontier, frontier_for

_TAKE = """
local used = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if used >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""


class RedisBudgetCounter:
    """Budget counter shared by the workers of a crawl (a Redis hash: site -> pages)."""

    def __init__(self, frontier: Frontier) -> None:
        self.key = frontier.keys.budget
        self._take = frontier.server.register_script(_TAKE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisBudgetCounter:
        return cls(frontier_for(crawler))

    def take(self, site: str, limit: int) -> bool:
        """Take one page of ``site``'s budget; False when ``limit`` pages are taken."""
        return bool(self._take(keys=[self.key], args=[site, limit]))
