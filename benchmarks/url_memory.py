"""Bytes per URL of the structures of one crawl process that grow with the URLs it meets.

Run from the repository root::

    python benchmarks/url_memory.py [--urls 30000,100000]

Measured with ``tracemalloc`` (Python allocations, which is what grows; not RSS, which
also holds freed memory the allocator keeps) over ``--urls`` distinct URLs of about 70
characters, the length of the benchmark web's (a set's bytes per entry depend on where
its table is between two doublings, hence two counts):

* the spider's set of URLs it already asked for (``linkspider.extract.follow.RequestedUrls``:
  8-byte digests and the depth), which lets it skip building a ``Request`` for a link
  it has asked for before;
* Scrapy's duplicate filter (``RFPDupeFilter``: a set of 20-byte SHA-1 fingerprints), once
  the requests themselves are gone, and its ``JOBDIR`` file ``requests.seen``;
* a request waiting in the frontier as the spider makes it (callback, errback, meta
  ``linkspider_site`` and ``depth``, a ``Referer`` header): as an object in Scrapy's
  ``FifoMemoryQueue``, pickled in linkspider's ``CompactFifoMemoryQueue`` (the default), or
  pickled to a disk queue (``-s JOBDIR=DIR``: memory per request ~0).

The Markdown report is printed and written to ``benchmarks/results/url_memory.md``.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import scrapy
from scrapy import Request, Spider
from scrapy.dupefilters import RFPDupeFilter
from scrapy.squeues import PickleFifoDiskQueue
from scrapy.utils.test import get_crawler

from linkspider.extract.follow import RequestedUrls
from linkspider.queues.compact import CompactFifoMemoryQueue

RESULTS = Path(__file__).parent / "results" / "url_memory.md"


class _Spider(Spider):
    name = "url_memory"

    def parse(self, response: Any) -> None:  # the callback requests name
        return None

    def on_error(self, failure: Any) -> None:
        return None


def urls(count: int) -> list[str]:
    return [
        f"http://hiking-site{i % 200}.com/articles/2024/a-long-slug-of-a-page-{i}.html"
        for i in range(count)
    ]


def request(spider: _Spider, url: str) -> Request:
    built = Request(
        url,
        callback=spider.parse,
        errback=spider.on_error,
        meta={"linkspider_site": "hiking-site.com", "depth": 3},
    )
    built.headers[b"Referer"] = b"http://hiking-site1.com/articles/2024/the-linking-page.html"
    return built


def traced(build: Callable[[], Any]) -> tuple[Any, int]:
    """What ``build()`` returns and the bytes it still holds after a collection."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    return kept, tracemalloc.get_traced_memory()[0] - before


def measure(count: int) -> list[tuple[str, str, float]]:
    spider = _Spider()
    links = urls(count)
    tracemalloc.start()
    rows: list[tuple[str, str, float]] = []

    def requested() -> RequestedUrls:
        seen = RequestedUrls()
        for url in links:
            seen.first_time(url, 3)
        return seen

    _, size = traced(requested)
    rows.append(("spider: URLs already asked for (`RequestedUrls`)", "memory", size / count))

    def dupefilter() -> RFPDupeFilter:
        seen = RFPDupeFilter()
        for url in links:
            seen.request_seen(request(spider, url))
        return seen

    _, size = traced(dupefilter)
    rows.append(("duplicate filter (`RFPDupeFilter`)", "memory", size / count))

    _, size = traced(lambda: [request(spider, url) for url in links])
    rows.append(("waiting request, Scrapy's `FifoMemoryQueue`", "memory", size / count))

    def compact_queue() -> CompactFifoMemoryQueue:
        queue = CompactFifoMemoryQueue(spider)
        for url in links:
            queue.push(request(spider, url))
        return queue

    _, size = traced(compact_queue)
    rows.append(
        ("waiting request, linkspider's `CompactFifoMemoryQueue` (default)", "memory", size / count)
    )

    with tempfile.TemporaryDirectory() as folder:
        seen_file = RFPDupeFilter(folder)
        for url in links:
            seen_file.request_seen(request(spider, url))
        seen_file.close("finished")
        rows.append(
            ("duplicate filter, `JOBDIR` file `requests.seen`", "disk",
             (Path(folder) / "requests.seen").stat().st_size / count)
        )  # fmt: skip
        queue_path = Path(folder) / "queue"

        crawler = get_crawler(_Spider)
        crawler.spider = spider

        def disk_queue() -> Any:
            queue = PickleFifoDiskQueue(crawler, str(queue_path))  # type: ignore[call-arg]
            for url in links:
                queue.push(request(spider, url))
            return queue

        queue, size = traced(disk_queue)
        rows.append(("waiting request, disk queue (`JOBDIR`)", "memory", size / count))
        queue.close()
        disk = sum(p.stat().st_size for p in queue_path.rglob("*") if p.is_file())
        rows.append(("waiting request, disk queue (`JOBDIR`)", "disk", disk / count))
    tracemalloc.stop()
    return rows


def report(counts: list[int], runs: list[list[tuple[str, str, float]]]) -> str:
    lines = [
        "# Bytes per URL in one crawl process",
        "",
        "Generated by `python benchmarks/url_memory.py` (do not edit by hand). "
        "Distinct URLs of ~70 characters; Python allocations still held "
        "(`tracemalloc`, after a collection), or file bytes. "
        f"Python {platform.python_version()}, Scrapy {scrapy.__version__}, "
        f"{platform.machine()}.",
        "",
        "| structure | where | " + " | ".join(f"bytes per URL, {n:,} URLs" for n in counts) + " |",
        "|---|---|" + "---|" * len(counts),
    ]
    for index, (what, where, _) in enumerate(runs[0]):
        sizes = " | ".join(f"{run[index][2]:,.0f}" for run in runs)
        lines.append(f"| {what} | {where} | {sizes} |")
    lines += [
        "",
        "Every URL the crawl asks for stays in the spider's set and the duplicate filter "
        "for the whole crawl; a waiting request leaves the frontier when it is downloaded.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--urls", default="30000,100000", help="URL counts, comma-separated")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.urls.split(",")]
    text = report(counts, [measure(n) for n in counts])
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
