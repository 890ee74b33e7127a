"""``-a check_targets=true``: does each linked target URL still answer?

For every distinct ``target_url`` of the backlink rows the spider produces, this spider
middleware schedules ONE ``HEAD`` request (after the row, through the scheduler), so the
check goes through robots.txt, the SSRF guard and the per-host politeness like any request,
and never follows links into the target site. Redirects are followed: the final status
and URL are recorded (a 301 to a 404 page is a 404). ``HEAD`` answered 405 or 501, or
failing (other than DNS and refused connections, which ``GET`` cannot change), is tried
once more with ``GET``. Each answer is one JSON line in ``target_status.jsonl``:
``target_url``, ``status`` (final HTTP status, or null), ``final_url``, ``method``,
``error`` (``timeout``, ``connection-refused``..., or the ``blocked_pages`` reason when
robots.txt or the SSRF guard refused the check) and ``blocked``. ``build_exports`` joins
it into ``backlinks.csv``/``.parquet`` (``target_status``) and writes
``broken_backlinks.csv`` (:mod:`linkspider.reports.targets`).

A crawl resumed from ``JOBDIR`` checks the targets of its earlier rows that have no answer
yet, and does not check again the others.

Settings: ``LINKSPIDER_CHECK_TARGETS`` (bool, default False; ``-a check_targets=true``
sets it), ``LINKSPIDER_OUTPUT_DIR``. Meta: ``linkspider_target_check`` (the target URL
a request checks).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from linkspider.core.failures import failure_kind
from linkspider.core.items import BacklinkItem
from linkspider.core.jsonl import JsonlWriter, read_jsonl
from linkspider.core.meta import META_TARGET_CHECK
from linkspider.core.signals import BlockedPage, page_blocked
from linkspider.output import TARGET_STATUS_JSONL, utc_now

logger = logging.getLogger(__name__)

#: HEAD answers that mean "ask again with GET".
HEAD_REFUSED = frozenset({405, 501})
#: Failures GET would meet as well: no second try.
NO_RETRY_KINDS = frozenset({"dns-error", "connection-refused"})
#: Every error status reaches the callback; redirects are still followed.
ERROR_STATUSES = list(range(400, 600))


class TargetCheckMiddleware:
    """One HEAD (or GET) per distinct target URL (see the module).

    Settings: ``LINKSPIDER_CHECK_TARGETS``, ``LINKSPIDER_OUTPUT_DIR``.
    Meta: ``linkspider_target_check``.
    """

    def __init__(self, output_dir: Path, stats: StatsCollector) -> None:
        self.output_dir = output_dir
        self.stats = stats
        self.seen: set[str] = set()  # targets scheduled (or answered in an earlier run)
        self.done: set[str] = set()
        self.broken: set[str] = set()
        self.blocked: set[str] = set()
        self.handle: JsonlWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetCheckMiddleware:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not crawler.settings.getbool("LINKSPIDER_CHECK_TARGETS") or not output_dir:
            raise NotConfigured("target checks are off (-a check_targets=true turns them on)")
        assert crawler.stats is not None
        mw = cls(Path(output_dir), crawler.stats)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.page_blocked, signal=page_blocked)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_dir / TARGET_STATUS_JSONL
        self.done = {str(r.get("target_url")) for r in read_jsonl(path)}
        self.seen = set(self.done)
        self.handle = JsonlWriter(path)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in start:
            yield item
        # Resumed crawl: targets of rows written before the stop that have no answer yet.
        for record in read_jsonl(self.output_dir / "backlinks.jsonl"):
            request = self._check(str(record.get("target_url") or ""))
            if request is not None:
                yield request

    def process_spider_output(
        self, response: Response | None, result: Iterable[Any]
    ) -> Iterator[Any]:
        for item in result:
            yield item
            if isinstance(item, BacklinkItem):
                request = self._check(item.target_url)
                if request is not None:
                    yield request

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for item in result:
            yield item
            if isinstance(item, BacklinkItem):
                request = self._check(item.target_url)
                if request is not None:
                    yield request

    def _check(self, url: str) -> Request | None:
        if not url.startswith(("http://", "https://")) or url in self.seen:
            return None
        self.seen.add(url)
        self.stats.inc_value("linkspider/target_check/targets")
        return Request(
            url,
            method="HEAD",
            callback=self._answered,
            errback=self._failed,
            dont_filter=True,  # checked once per crawl by `seen`, whatever else fetched it
            meta={META_TARGET_CHECK: url, "handle_httpstatus_list": ERROR_STATUSES},
        )

    def _answered(self, response: Response) -> Iterator[Request]:
        request = response.request
        assert request is not None
        target = str(request.meta[META_TARGET_CHECK])
        if request.method == "HEAD" and response.status in HEAD_REFUSED:
            self.stats.inc_value("linkspider/target_check/get_fallback")
            yield self._get(request)
            return
        self._record(target, response.status, response.url, request.method, "")

    def _failed(self, failure: Failure) -> Iterator[Request]:
        request: Request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, IgnoreRequest):
            return  # refused (page_blocked says why) or waiting for robots.txt
        kind = failure_kind(failure)
        if request.method == "HEAD" and kind not in NO_RETRY_KINDS:
            self.stats.inc_value("linkspider/target_check/get_fallback")
            yield self._get(request)
            return
        self._record(str(request.meta[META_TARGET_CHECK]), None, "", request.method, kind)

    def _get(self, request: Request) -> Request:
        target = str(request.meta[META_TARGET_CHECK])
        meta = {
            META_TARGET_CHECK: target,
            "handle_httpstatus_list": ERROR_STATUSES,
            "depth_reset": True,
        }
        return request.replace(url=target, method="GET", meta=meta)

    def page_blocked(self, page: BlockedPage) -> None:
        if page.requested_url in self.seen and page.requested_url not in self.done:
            self._record(page.requested_url, None, page.url, "", page.reason, blocked=True)

    def _record(
        self,
        target: str,
        status: int | None,
        final_url: str,
        method: str,
        error: str,
        blocked: bool = False,
    ) -> None:
        self.done.add(target)
        broken = not blocked and (error != "" or (status is not None and status >= 400))
        for flag, found in ((broken, self.broken), (blocked, self.blocked)):
            if flag:
                found.add(target)
            else:
                found.discard(target)  # a later answer replaces an earlier one
        self.stats.set_value("linkspider/target_check/broken", len(self.broken))
        self.stats.set_value("linkspider/target_check/blocked", len(self.blocked))
        if self.handle is None:
            return
        record = {"target_url": target, "status": status, "final_url": final_url,
                  "method": method, "error": error, "blocked": blocked,
                  "checked_at": utc_now()}  # fmt: skip
        self.handle.write(record)

    def spider_closed(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        unanswered = len(self.seen - self.done)
        answered = len(self.done - self.blocked)
        logger.info(
            f"target checks: {answered} target URL(s) answered, {len(self.broken)} broken"
            + (
                f", {len(self.blocked)} not requested (robots.txt, SSRF guard)"
                if self.blocked
                else ""
            )
            + (f", {unanswered} not checked (crawl stopped)" if unanswered else "")
        )
