"""The shared scheduler's Redis round trips, on a real ``redis-server``: a request new to the
crawl costs one call (filter and frontier in one Lua script), a duplicate at most one, and
one this worker already added none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scrapy import Request, Spider

from linkspider.distributed.dupefilter import BloomDupeFilter, SetDupeFilter
from linkspider.distributed.frontier import Frontier, connect
from linkspider.distributed.scheduler import SharedScheduler
from tests.e2e.test_distributed import REDIS_SERVER, redis_url

__all__ = ["redis_url"]  # the fixture, started once per module
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

URLS = [f"https://example.com/page/{i}" for i in range(3)]


def _worker(url: str, crawl: str, bloom: bool) -> tuple[SharedScheduler, list[str]]:
    """A worker's scheduler whose Redis calls are listed as they are made."""
    server = connect(url)
    calls: list[str] = []
    execute: Callable[..., Any] = server.execute_command

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[0]))
        return execute(*args, **kwargs)

    server.execute_command = counted  # type: ignore[method-assign]
    frontier = Frontier(server, crawl, "w")
    key = frontier.keys.dupefilter
    dupefilter = (
        BloomDupeFilter(server, key, capacity=1000, error_rate=1e-6)
        if bloom
        else SetDupeFilter(server, key)
    )
    scheduler = SharedScheduler(frontier, dupefilter, None)
    scheduler.open(Spider(name="test"))
    return scheduler, calls


@pytest.mark.parametrize("bloom", [False, True], ids=["set", "bloom"])
def test_a_new_request_is_filtered_and_queued_in_one_call(redis_url: str, bloom: bool) -> None:
    crawl = f"round-trips-{bloom}"
    one, one_calls = _worker(redis_url, crawl, bloom)
    other, other_calls = _worker(redis_url, crawl, bloom)
    one.frontier.reset()
    for scheduler in (one, other):  # loads the scripts into Redis: once per connection
        scheduler.enqueue_request(Request(f"https://example.com/{id(scheduler)}"))
    one.frontier.reset()
    one_calls.clear()
    other_calls.clear()

    assert all(one.enqueue_request(Request(url)) for url in URLS)
    assert one_calls == ["EVALSHA"] * len(URLS)
    assert one.frontier.queued() == len(URLS)

    # Another worker meets the same links: one call each, nothing queued twice.
    assert not any(other.enqueue_request(Request(url)) for url in URLS)
    assert other_calls == ["EVALSHA"] * len(URLS)
    # The first worker meets them again: known locally, no call at all.
    one_calls.clear()
    assert not any(one.enqueue_request(Request(url)) for url in URLS)
    assert one_calls == []
    # dont_filter skips the filter; the request is queued again.
    assert one.enqueue_request(Request(URLS[0], dont_filter=True))
    assert one.frontier.queued() == len(URLS) + 1
    popped = [one.next_request() for _ in range(len(URLS) + 1)]
    assert sorted(request.url for request in popped if request) == sorted([*URLS, URLS[0]])
    one.frontier.reset()
