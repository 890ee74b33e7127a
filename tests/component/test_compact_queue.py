"""linkspider's scheduler memory queue: FIFO like Scrapy's, each waiting request held
pickled, and nothing lost when a request cannot be pickled (issue 17)."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from scrapy import Request, Spider
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.test import get_crawler

from linkspider.queues.compact import CompactFifoMemoryQueue


class _Spider(Spider):
    name = "queue_test"

    def parse(self, response: Any) -> None:
        return None

    def on_error(self, failure: Any) -> None:
        return None


def make(spider: _Spider, n: int) -> Request:
    request = Request(
        f"https://site{n % 7}.example/articles/a-long-slug-{n}.html",
        callback=spider.parse,
        errback=spider.on_error,
        meta={"linkspider_site": f"site{n % 7}.example", "depth": 2},
        priority=-2,
    )
    request.headers[b"Referer"] = b"https://site1.example/the-linking-page.html"
    return request


def test_the_queue_is_built_by_scrapy_and_keeps_fifo_order_and_every_field() -> None:
    spider = _Spider()
    crawler = get_crawler(_Spider)
    crawler.spider = spider
    queue = CompactFifoMemoryQueue.from_crawler(crawler, "")
    sent = [make(spider, n) for n in range(50)]
    # the same record as Scrapy's own serialisation (its disk queues), made faster
    assert queue._as_dict(sent[0]) == sent[0].to_dict(spider=spider)
    for request in sent:
        queue.push(request)
    assert len(queue) == 50
    assert queue.peek().url == sent[0].url  # type: ignore[union-attr]
    got = [queue.pop() for _ in range(50)]
    assert queue.pop() is None and queue.peek() is None and len(queue) == 0
    assert [r.url for r in got if r] == [r.url for r in sent]
    for before, after in zip(sent, got, strict=True):
        assert after is not None and after is not before  # rebuilt from its bytes
        assert after.callback == spider.parse and after.errback == spider.on_error
        assert after.meta == before.meta and after.priority == before.priority
        assert after.headers[b"Referer"] == before.headers[b"Referer"]


def test_a_request_that_cannot_be_pickled_is_kept_in_its_place() -> None:
    spider = _Spider()
    queue = CompactFifoMemoryQueue(spider)
    odd = Request("https://site1.example/lambda", callback=lambda r: None)  # not a method
    # a live generator: no pickler takes one (not even dill, which another test may load)
    live = Request(
        "https://site1.example/live", callback=spider.parse, meta={"pages": (n for n in range(3))}
    )
    queue.push(make(spider, 1))
    queue.push(odd)
    queue.push(live)
    queue.push(make(spider, 2))
    got = [queue.pop() for _ in range(4)]
    assert [r.url for r in got if r] == [
        make(spider, 1).url,
        odd.url,
        live.url,
        make(spider, 2).url,
    ]
    assert got[1] is odd and got[2] is live  # kept whole


def held(build: Any) -> int:
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] - before
    del kept
    return size


def test_a_waiting_request_holds_under_half_of_scrapys_memory() -> None:
    spider = _Spider()
    requests = 5000

    def fill(queue: Any) -> Any:
        for n in range(requests):
            queue.push(make(spider, n))
        return queue

    tracemalloc.start()
    try:
        scrapy_queue = held(lambda: fill(FifoMemoryQueue()))
        compact = held(lambda: fill(CompactFifoMemoryQueue(spider)))
    finally:
        tracemalloc.stop()
    assert compact * 2 < scrapy_queue, (compact / requests, scrapy_queue / requests)
