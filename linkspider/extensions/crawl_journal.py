"""Resumable crawls that lose nothing: a crash-safe journal of page requests in ``JOBDIR``.

Scrapy's ``JOBDIR`` keeps the request queue and the duplicate filter, but writes the queue
state only at a clean stop: after a ``kill -9`` (or a power cut) the queue is lost or
inconsistent, and a request taken from it is forgotten until done. Requests waiting for
robots.txt are not in it at all. This extension keeps its own journal, a line per event,
flushed at once:

* ``JOBDIR/linkspider/journal.jsonl``: ``{"scheduled": {...}}`` for each page request the
  crawl accepted (URL, callbacks, priority, linkspider meta and depth), and
  ``{"started": url, "site": site}`` when one took a page of its site's budget;
* ``JOBDIR/linkspider/output_dir``: the run folder, so that the same command resumes into
  the same folder (``-a output_dir`` still wins).

A page request is *done* when the run folder says so: ``pages.jsonl`` (its
``requested_url``), ``errors.jsonl`` (network errors; HTTP errors count through their page
row) or ``blocked_pages.jsonl``. The spider hands Scrapy a page's link rows and its new
requests before its page row, so a page row means all its rows are on disk and all its
links are journaled (this relies on the item pipelines before ``JsonlStreamPipeline``
being synchronous, as they are, and on Scrapy taking a callback's output in order).

On resume (the journal exists), before the scheduler opens, Scrapy's queue and duplicate
filter files are removed: everything they knew is in the journal. Then the page budget
gets back what the first part used, and every journaled request that is not done is
scheduled again (those in flight when the crawl stopped keep their budget page). While
crawling, a page request whose URL is done or was already accepted in this run is
dropped (``linkspider/journal/skipped``). A page that was in flight is fetched again, so
its rows may be in ``backlinks.jsonl`` twice: the exports keep the last copy.

Rendered pages (``render=auto|always``): the request that takes a fetched page to the
browser (meta ``linkspider_render_raw``) is the same page request, not a new one: it is
neither journaled nor dropped. A page killed while in the browser has no page row, so its
journaled request is scheduled again: fetched and rendered anew.

Settings: ``JOBDIR`` (without it the extension is off), ``LINKSPIDER_OUTPUT_DIR``.
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.settings import BaseSettings
from w3lib.url import canonicalize_url

from linkspider.core.jsonl import JsonlWriter, read_jsonl
from linkspider.core.meta import (
    META_BUDGETED,
    META_FALLBACK,
    META_PREFIX,
    META_RENDER_RAW,
    META_ROBOTS_HELD,
    META_SITE,
)
from linkspider.core.signals import budget_used
from linkspider.reports.blocked import JSONL_NAME as BLOCKED_JSONL

logger = logging.getLogger(__name__)

JOURNAL_DIR = "linkspider"
JOURNAL_NAME = "journal.jsonl"
OUTPUT_DIR_NAME = "output_dir"
_KEPT_META = ("depth",)  # besides every linkspider_* key


def resumed_output_dir(settings: BaseSettings) -> str | None:
    """The run folder of the crawl being resumed from ``JOBDIR``, if any."""
    jobdir = settings.get("JOBDIR")
    if not jobdir:
        return None
    try:
        text = (Path(jobdir) / JOURNAL_DIR / OUTPUT_DIR_NAME).read_text("utf-8").strip()
    except OSError:
        return None
    return text or None


def page_key(url: str) -> str:
    """What makes two page requests the same (as Scrapy's duplicate filter sees it)."""
    return canonicalize_url(url, keep_fragments=False)


def done_keys(output_dir: Path) -> set[str]:
    """Keys of the page requests the run folder has a final record for."""
    done: set[str] = set()
    for name, field, skip_http in (
        ("pages.jsonl", "requested_url", False),
        ("errors.jsonl", "url", True),
        (BLOCKED_JSONL, "url", False),
        (BLOCKED_JSONL, "requested_url", False),
    ):
        for record in read_jsonl(output_dir / name):
            url = record.get(field)
            if not isinstance(url, str):
                continue
            if skip_http and str(record.get("error", "")).startswith("http-"):
                continue  # done when its page row is written (it comes last)
            done.add(page_key(url))
    return done


def _is_page_request(request: Request) -> bool:
    meta = request.meta
    return META_SITE in meta and not (
        meta.get("redirect_times")
        or meta.get("retry_times")
        or meta.get(META_ROBOTS_HELD)
        or META_RENDER_RAW in meta  # the page again, on its way to the browser
    )


class CrawlJournalExtension:
    """The journal of a ``JOBDIR`` crawl (see the module).

    Settings: ``JOBDIR``, ``LINKSPIDER_OUTPUT_DIR``. Meta it reads: ``linkspider_site``,
    ``linkspider_fallback``, ``linkspider_budgeted``, ``linkspider_robots_held``, ``depth``.
    """

    def __init__(self, jobdir: Path, output_dir: Path, crawler: Crawler) -> None:
        self.folder = jobdir / JOURNAL_DIR
        self.output_dir = output_dir
        self.crawler = crawler
        self.resuming = (self.folder / JOURNAL_NAME).exists()
        self.handle: JsonlWriter | None = None
        self.journaled: set[str] = set()  # keys with a "scheduled" line
        self.started: set[str] = set()  # keys with a "started" line
        self.accepted: set[str] = set()  # keys accepted in this run
        self.done: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlJournalExtension:
        jobdir = crawler.settings.get("JOBDIR")
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not jobdir or not output_dir:
            raise NotConfigured  # no JOBDIR: nothing to resume (and nothing to say)
        ext = cls(Path(jobdir), Path(output_dir), crawler)
        if ext.resuming:
            # Before the scheduler opens: after a kill its files may be inconsistent, and
            # everything they knew is in the journal.
            shutil.rmtree(Path(jobdir) / "requests.queue", ignore_errors=True)
            (Path(jobdir) / "requests.seen").unlink(missing_ok=True)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.request_reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / OUTPUT_DIR_NAME).write_text(f"{self.output_dir}\n", "utf-8")
        pending: dict[str, dict[str, Any]] = {}
        budget: Counter[str] = Counter()
        if self.resuming:
            self.done = done_keys(self.output_dir)
            for record in read_jsonl(self.folder / JOURNAL_NAME):
                if isinstance(record.get("scheduled"), dict):
                    entry = record["scheduled"]
                    key = page_key(str(entry.get("url", "")))
                    self.journaled.add(key)
                    pending.setdefault(key, entry)
                elif isinstance(record.get("started"), str):
                    key = page_key(record["started"])
                    if key not in self.started:
                        self.started.add(key)
                        budget[str(record.get("site"))] += 1
        self.handle = JsonlWriter(self.folder / JOURNAL_NAME)
        if not self.resuming:
            return
        # The page budget middleware takes these pages again (before anything is scheduled).
        self.crawler.signals.send_catch_log(signal=budget_used, used=budget)
        todo = {k: e for k, e in pending.items() if not self._entry_done(k, e)}
        logger.info(
            f"resuming from {self.folder}: {len(self.done)} page request(s) done, "
            f"{len(todo)} scheduled again"
        )
        self.crawler.stats.set_value("linkspider/journal/rescheduled", len(todo))  # type: ignore[union-attr]
        assert self.crawler.engine is not None
        for key, entry in todo.items():
            request = self._request(entry, spider)
            if key in self.started:
                request.meta[META_BUDGETED] = True  # it took its budget page before
            self.crawler.engine.crawl(request)

    def _entry_done(self, key: str, entry: dict[str, Any]) -> bool:
        if key in self.done:
            return True
        fallback = entry.get("meta", {}).get(META_FALLBACK)
        return isinstance(fallback, str) and page_key(fallback) in self.done

    @staticmethod
    def _request(entry: dict[str, Any], spider: Spider) -> Request:
        callback = entry.get("callback")
        errback = entry.get("errback")
        return Request(
            str(entry["url"]),
            callback=getattr(spider, callback) if callback else None,
            errback=getattr(spider, errback) if errback else None,
            priority=int(entry.get("priority", 0)),
            meta=dict(entry.get("meta", {})),
            dont_filter=True,
        )

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        if not _is_page_request(request):
            return
        key = page_key(request.url)
        if key in self.done or key in self.accepted:
            self.crawler.stats.inc_value("linkspider/journal/skipped")  # type: ignore[union-attr]
            raise IgnoreRequest("already crawled or scheduled (journal)")
        self.accepted.add(key)
        if key not in self.journaled:
            self.journaled.add(key)
            self._write({"scheduled": self._entry(request, spider)})

    def request_reached(self, request: Request) -> None:
        meta = request.meta
        if not meta.get(META_BUDGETED) or meta.get("redirect_times") or meta.get("retry_times"):
            return
        key = page_key(request.url)
        if key not in self.started:
            self.started.add(key)
            self._write({"started": request.url, "site": meta.get(META_SITE)})

    def spider_closed(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def _write(self, record: dict[str, Any]) -> None:
        if self.handle is not None:
            self.handle.write(record)

    @staticmethod
    def _entry(request: Request, spider: Spider) -> dict[str, Any]:
        meta = {
            key: value
            for key, value in request.meta.items()
            if (key.startswith(META_PREFIX) or key in _KEPT_META)
            and key != META_BUDGETED
            and isinstance(value, str | int | float | bool | type(None))
        }
        return {
            "url": request.url,
            "callback": _method_name(request.callback, spider),
            "errback": _method_name(request.errback, spider),
            "priority": request.priority,
            "meta": meta,
        }


def _method_name(func: Any, spider: Spider) -> str | None:
    name = getattr(func, "__name__", None)
    if func is None or not isinstance(name, str) or getattr(spider, name, None) != func:
        return None
    return name
