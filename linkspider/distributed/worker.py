"""One worker of a distributed crawl: heartbeat, wake-ups, end of crawl, ``worker.json``.

Enabled by the ``backlinks_distributed`` spider (it replaces ``RunReportExtension``: the
exports are built once for the whole crawl, by ``linkspider merge``).

* While it runs, the worker refreshes its heartbeat in the crawl's ``workers`` hash and,
  every ``LINKSPIDER_REDIS_POLL_INTERVAL`` seconds, wakes Scrapy's engine so that an idle
  worker picks up requests other workers queued (Scrapy itself looks every 5 s).
* When Scrapy finds the worker idle, it closes only if the whole crawl is finished
  (:meth:`Frontier.idle_and_check_done`); otherwise it waits for more requests. A worker
  holding pages back for a robots.txt that has not answered yet stays busy.
* ``worker.json`` in the worker's part folder records its id, the crawl definition,
  timings, counts and Scrapy stats; ``linkspider merge`` sums them into ``run.json``.

Settings: ``LINKSPIDER_REDIS_CRAWL`` (set by the spider; the extension is off without
it), ``LINKSPIDER_OUTPUT_DIR``, ``LINKSPIDER_REDIS_POLL_INTERVAL`` (seconds, default 0.5).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from linkspider.core.setting_values import float_setting
from linkspider.distributed.frontier import Frontier, frontier_for, redact_url
from linkspider.extensions.run_report import versions
from linkspider.output import utc_now

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 5.0
WORKER_FILE = "worker.json"


class WorkerExtension:
    def __init__(
        self, crawler: Crawler, frontier: Frontier, output_dir: Path, poll_interval: float
    ) -> None:
        self.crawler = crawler
        self.frontier = frontier
        self.output_dir = output_dir
        self.poll_interval = poll_interval
        self.started_at = ""
        self.started_clock = 0.0
        self.finished_crawl = False
        self._loop: Any = None
        self._last_heartbeat = 0.0
        self._redis_trouble = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerExtension:
        settings = crawler.settings
        output_dir = settings.get("LINKSPIDER_OUTPUT_DIR")
        if not settings.get("LINKSPIDER_REDIS_CRAWL") or not output_dir:
            raise NotConfigured("not a worker of a distributed crawl")
        poll = float_setting(settings, "LINKSPIDER_REDIS_POLL_INTERVAL")
        ext = cls(crawler, frontier_for(crawler), Path(output_dir), max(poll, 0.05))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = utc_now()
        self.started_clock = time.monotonic()
        self.frontier.heartbeat()  # registers the worker (idle until it pops a request)
        self._last_heartbeat = time.monotonic()
        self._write(spider, {"status": "running"})
        self._loop = _looping_call(self._tick)
        self._loop.start(self.poll_interval, now=False)

    def _tick(self) -> None:
        try:
            if time.monotonic() - self._last_heartbeat >= HEARTBEAT_INTERVAL:
                self.frontier.heartbeat()
                self._last_heartbeat = time.monotonic()
        except Exception as exc:  # a Redis hiccup must not stop the loop
            if not self._redis_trouble:
                logger.warning(f"worker heartbeat failed (will retry): {exc}")
            self._redis_trouble = True
        else:
            self._redis_trouble = False
        _wake(self.crawler)

    def spider_idle(self, spider: Spider) -> None:
        if holds_requests(self.crawler):
            # Pages held back until their robots.txt answers are this worker's work in
            # progress: stay busy, so that the others do not take the crawl for finished.
            self._call_redis(self.frontier.mark_busy)
            raise DontCloseSpider
        try:
            done = self.frontier.idle_and_check_done()
        except Exception as exc:  # Redis unreachable for a moment: wait, do not close
            logger.warning(f"cannot check whether the crawl is finished (will retry): {exc}")
            raise DontCloseSpider from exc
        if done:
            if not self.finished_crawl:
                logger.info(
                    f"crawl {self.frontier.keys.crawl!r} is finished: nothing queued, "
                    "no worker busy"
                )
            self.finished_crawl = True
            return
        raise DontCloseSpider

    def _call_redis(self, call: Any) -> None:
        try:
            call()
        except Exception as exc:  # a Redis hiccup: the next tick retries
            logger.warning(f"Redis call failed (will retry): {exc}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            self.frontier.leave()
        except Exception as exc:
            logger.warning(f"could not leave the crawl's worker list: {exc}")
        stats = self.crawler.stats
        assert stats is not None
        elapsed = time.monotonic() - self.started_clock
        pages = int(stats.get_value("linkspider/items/pages", 0) or 0)
        info = {
            "status": "finished" if reason == "finished" else "stopped",
            "finish_reason": reason,
            "crawl_finished": self.finished_crawl,
            "finished_at": utc_now(),
            "elapsed_seconds": round(elapsed, 3),
            "pages": pages,
            "pages_per_second": round(pages / elapsed, 2) if elapsed > 0 else None,
            "backlinks": int(stats.get_value("linkspider/items/backlinks", 0) or 0),
            "errors": int(stats.get_value("linkspider/items/errors", 0) or 0),
            "stats": {k: _jsonable(v) for k, v in sorted(stats.get_stats().items())},
        }
        self._write(spider, info)
        message = (
            f"linkspider worker {self.frontier.worker}: {pages} pages, "
            f"{info['backlinks']} backlinks -> {self.output_dir}"
        )
        if self.finished_crawl:
            merge = f"linkspider merge {self.output_dir.parent.parent}"
            message += f"; the crawl is finished, build its exports with: {merge}"
        logger.info(message)

    def _write(self, spider: Spider, extra: dict[str, Any]) -> None:
        try:
            definition = json.loads(self.frontier.load_definition().to_json())
        except Exception as exc:  # Redis gone: still record what this worker did
            definition = {"error": f"could not read the crawl definition: {exc}"}
        info = {
            "worker": self.frontier.worker,
            "crawl": self.frontier.keys.crawl,
            "redis": redact_url(self.frontier.url),
            "spider": spider.name,
            "definition": definition,
            "versions": versions(),
            "started_at": self.started_at,
            **extra,
        }
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_dir / WORKER_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", "utf-8")
        tmp.replace(path)


def holds_requests(crawler: Crawler) -> bool:
    """Whether a downloader middleware keeps requests back outside Scrapy's queues.

    ``RobotsPolicyMiddleware`` holds a site's pages in ``held`` (origin -> requests) while
    its robots.txt does not answer, and sends them on later.
    """
    downloader = getattr(crawler.engine, "downloader", None)
    for middleware in getattr(getattr(downloader, "middleware", None), "middlewares", ()):
        held = getattr(middleware, "held", None)
        if isinstance(held, dict) and any(held.values()):
            return True
    return False


def _looping_call(func: Any) -> Any:
    try:
        from scrapy.utils.asyncio import create_looping_call  # Scrapy 2.14+
    except ImportError:  # pragma: no cover - older Scrapy
        from twisted.internet.task import LoopingCall

        return LoopingCall(func)
    return create_looping_call(func)


def _wake(crawler: Crawler) -> None:
    """Ask the engine to look for requests now rather than at its next 5 s heartbeat.

    Scrapy has no public call for this; without it (a future Scrapy) an idle worker
    still picks up new requests, only up to 5 s later.
    """
    slot = getattr(crawler.engine, "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    if nextcall is not None:
        nextcall.schedule()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
