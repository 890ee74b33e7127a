"""A breadth-first memory queue that keeps each waiting request as a few hundred bytes.

A crawl that follows links finds most URLs long before it fetches them: on a 50,000-page
web, 58,000 requests were waiting when 5,000 pages had been crawled. A waiting
:class:`~scrapy.Request` costs about 2.5 KB in Scrapy's ``FifoMemoryQueue`` (the object,
its headers with the ``Referer``, its meta, and the caches Scrapy keys on it: the
fingerprint, the parsed URL, the live-object tracker), 150 MB in that example. This queue
stores ``pickle(request.to_dict())`` instead (Scrapy's own format for its disk queues,
without ``JOBDIR``), about 0.5 KB, and rebuilds the request when it is popped; the caches
go with the object. Order is unchanged: FIFO within each priority, like ``FifoMemoryQueue``.

A request that cannot be serialised (a callback that is not a method of the spider, meta
holding a live object) is kept as it is, in its place in the queue: nothing is dropped.
Set ``SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"`` to use Scrapy's.
Measured in benchmarks/results/memory.md.
"""

from __future__ import annotations

import pickle
from collections import deque
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.request import request_from_dict


class CompactFifoMemoryQueue:
    """``SCHEDULER_MEMORY_QUEUE``: FIFO, requests held pickled (see the module)."""

    def __init__(self, spider: Spider | None) -> None:
        self.spider = spider
        self._items: deque[bytes | Request] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CompactFifoMemoryQueue:
        return cls(crawler.spider)

    def push(self, request: Request) -> None:
        try:
            item: bytes | Request = pickle.dumps(
                self._as_dict(request), protocol=pickle.HIGHEST_PROTOCOL
            )
        except (ValueError, TypeError, AttributeError, pickle.PicklingError):
            item = request  # not serialisable: kept whole
        self._items.append(item)

    def _as_dict(self, request: Request) -> dict[str, Any]:
        """``request.to_dict(spider=...)``, with the callback and errback named from the
        bound method itself: Scrapy finds the name by listing every member of the spider
        (``inspect.getmembers``), 1.8% of a crawl's CPU when done for every request."""
        data = {
            "url": request.url,
            "callback": self._method_name(request.callback),
            "errback": self._method_name(request.errback),
            "headers": dict(request.headers),
        }
        for attr in request.attributes:
            data.setdefault(attr, getattr(request, attr))
        if type(request) is not Request:
            data["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return data

    def _method_name(self, method: Any) -> Any:
        """The name of the spider's bound method ``method`` (None and names as they are);
        ``ValueError`` for any other callable, which then keeps its request whole."""
        if not callable(method):
            return method
        name = getattr(method, "__name__", "")
        if getattr(method, "__self__", None) is self.spider and self.spider is not None:
            found = getattr(self.spider, name, None)
            if getattr(found, "__func__", None) is getattr(method, "__func__", object()):
                return name
        raise ValueError(f"{method!r} is not a method of the spider")

    def pop(self) -> Request | None:
        return self._load(self._items.popleft()) if self._items else None

    def peek(self) -> Request | None:
        return self._load(self._items[0]) if self._items else None

    def close(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def _load(self, item: bytes | Request) -> Request:
        if isinstance(item, Request):
            return item
        return request_from_dict(pickle.loads(item), spider=self.spider)
