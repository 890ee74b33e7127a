"""The ``backlinks`` spider: crawl seed sites (or pages) and report links to targets.

The spider only schedules: extraction lives in :mod:`linkspider.extract`, budgets in
:mod:`linkspider.middlewares`, exports in :mod:`linkspider.pipelines` and
:mod:`linkspider.extensions`.

Arguments (``-a name=value``): ``targets``, ``seeds``, ``scope`` (``site``/``page``),
``max_pages_per_site``, ``depth``, ``output_dir``, ``expect`` (placed links to verify),
``check_targets``, ``render`` (``off``/``auto``/``always``). See the README.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from linkspider.config.args import CrawlConfig
from linkspider.config.placements import ExpectedLink
from linkspider.core.domains import registrable_domain
from linkspider.core.failures import can_fall_back, failure_kind, is_policy_drop
from linkspider.core.items import ErrorItem, PageItem
from linkspider.core.meta import (
    META_ALTERNATE,
    META_EXPECT,
    META_FALLBACK,
    META_RENDER_REASON,
    META_RENDERED_DOM,
    META_SEED,
    META_SITE,
    rendered_dom,
)
from linkspider.core.urls import split_host
from linkspider.extract.crawl_page import CrawledPage, CrawlExtraction, PageJob
from linkspider.extract.crawl_page import crawled as crawled_page
from linkspider.extract.fetched_page import FetchedResponse, extract_fetched, page_record
from linkspider.extract.follow import RequestedUrls
from linkspider.extract.indexability import PageFacts
from linkspider.extract.page import LinkPage
from linkspider.extract.placement import PlacementRule
from linkspider.extract.placement_check import PlacementStatus, outcome_rows, page_outcome
from linkspider.offload.pool import ExtractionPool, pool_for
from linkspider.output import utc_now
from linkspider.spiders.crawl_setup import set_up_crawl


class BacklinksSpider(Spider):
    name = "backlinks"

    config: CrawlConfig
    follow_links: bool = True
    parse_max_bytes: int = 4 * 1024 * 1024  # LINKSPIDER_PARSE_MAX_BYTES
    _truncated_hosts: set[str]
    _requested: RequestedUrls
    _pool: ExtractionPool | None = None
    placement_rules: list[PlacementRule]
    #: -a expect: source URL -> its expected links (empty: a normal crawl; never mutated)
    _expected: dict[str, list[ExpectedLink]] = {}

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any]) -> None:
        """Raise :class:`ConfigError` (a ``ValueError``) for bad arguments."""
        CrawlConfig.from_kwargs(kwargs)

    @classmethod
    def load_config(cls, crawler: Crawler, kwargs: dict[str, Any]) -> CrawlConfig:
        """Targets, seeds and limits of the crawl (``backlinks_distributed`` reads Redis)."""
        return CrawlConfig.from_kwargs(kwargs)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BacklinksSpider:
        setup = set_up_crawl(crawler, cls.name, kwargs, cls.load_config)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = setup.config
        spider.placement_rules = setup.placement_rules
        spider.follow_links = setup.follow_links
        spider.parse_max_bytes = setup.parse_max_bytes
        spider._expected = setup.expected
        spider._truncated_hosts = set()
        spider._requested = RequestedUrls()
        spider._pool = pool_for(crawler)
        if spider._pool is not None:
            spider._pool.configure(
                CrawlExtraction(
                    setup.config.targets, tuple(setup.placement_rules), setup.parse_max_bytes,
                    setup.follow_links,
                )
            )  # fmt: skip
        for message in setup.config.seeds.rejection_messages():
            spider.logger.warning(message)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        discovered = self.config.discovered
        alternates = discovered.alternates if discovered is not None else {}
        for seed in self.config.seeds.seeds:
            expect = {META_EXPECT: seed.url} if self._expected else {}
            alternate = alternates.get(seed.url)
            www = {META_ALTERNATE: [alternate.url, alternate.fallback_url]} if alternate else {}
            yield Request(
                seed.url,
                callback=self.parse,
                errback=self.on_error,
                meta={
                    META_SITE: registrable_domain(split_host(seed.url)),
                    META_FALLBACK: seed.fallback_url,
                    META_SEED: True,
                    **expect,
                    **www,
                },
                dont_filter=bool(expect),  # two listed URLs may redirect to one page
            )

    async def parse(self, response: Response) -> list[Any]:
        """The page's rows, its page record, its placement checks and its new requests, all
        made before anything is handed to Scrapy. A generator would keep the page's parse
        tree (a few MB of C memory) alive until Scrapy had taken its last output, for every
        response whose output is still being processed: about 150 MB at 64 concurrent
        requests (benchmarks/results/memory.md).

        The page is extracted in an extraction process when there is one
        (``LINKSPIDER_EXTRACT_PROCESSES``), in this process otherwise, and always here
        when the crawl checks placed links (``-a expect`` needs the parse tree).
        """
        job = PageJob(
            _fetched(response, utc_now()), dom=rendered_dom(response.meta),
            rendered=META_RENDERED_DOM in response.meta,
            render_reason=str(response.meta.get(META_RENDER_REASON, "")),
        )  # fmt: skip
        if self._pool is not None and not self._expected:
            crawled = await self._pool.answer(job)
            if crawled is not None:
                return list(self._outputs(response, crawled, job.response.depth))
        result = extract_fetched(
            job.response, self.config.targets, self.placement_rules, self.parse_max_bytes,
            dom=job.dom, rendered=job.rendered, render_reason=job.render_reason,
        )  # fmt: skip
        return list(
            self._outputs(
                response, crawled_page(result, self.follow_links), job.response.depth,
                result.page, result.facts,
            )
        )  # fmt: skip

    def _outputs(
        self,
        response: Response,
        crawled: CrawledPage,
        depth: int,
        page: LinkPage | None = None,
        facts: PageFacts | None = None,
    ) -> Iterator[Any]:
        if not crawled.record.parsed:
            yield crawled.record
            yield from self._check_placements(response, None, None, "not-html")
            return
        if crawled.truncated:
            self._note_truncated(response)
        # The page row last: it says "this page is done" to a resumed crawl (JOBDIR), so its
        # link rows and its new requests (journaled when scheduled) must come before it. A
        # kill between the page row and its requests lost those links on resume.
        yield from crawled.rows
        yield from self._check_placements(response, page, facts)
        if crawled.follow:
            site = response.meta.get(META_SITE)
            requested = self._requested
            for url in crawled.follow:
                if not requested.first_time(url, depth + 1):
                    continue  # asked for already: skip the Request the dupefilter would drop
                yield Request(
                    url, callback=self.parse, errback=self.on_error, meta={META_SITE: site}
                )
        yield crawled.record

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        if is_policy_drop(failure):
            return
        fallback = request.meta.get(META_FALLBACK)
        if fallback and can_fall_back(failure):
            self.logger.info(f"{request.url}: {failure_kind(failure)}, trying {fallback}")
            yield request.replace(url=fallback, meta={**request.meta, META_FALLBACK: None})
            return
        alternate = request.meta.get(META_ALTERNATE)
        if alternate and not isinstance(failure.value, HttpError):  # the graph dropped www.
            url, fallback = alternate
            self.logger.info(f"{request.url}: {failure_kind(failure)}, trying {url}")
            meta = {**request.meta, META_FALLBACK: fallback, META_ALTERNATE: None}
            yield request.replace(url=url, meta=meta)
            return
        now = utc_now()
        depth = int(request.meta.get("depth", 0))
        message = (
            f"HTTP {failure.value.response.status}"
            if isinstance(failure.value, HttpError)
            else _one_line(failure.getErrorMessage())
        )
        yield ErrorItem(
            url=request.url,
            error=failure_kind(failure),
            message=message,
            depth=depth,
            occurred_at=now,
        )
        if not isinstance(failure.value, HttpError):
            yield from self._placements_failed(request, failure_kind(failure), message)
        if isinstance(failure.value, HttpError):  # after the error row: it marks the URL done
            response = failure.value.response
            yield self._page_item(response, now, note=failure_kind(failure))
            yield from self._check_placements(response, None, None, failure_kind(failure))

    # -- -a expect: one status per expected link of the page ----------------------------
    def _check_placements(
        self,
        response: Response,
        page: LinkPage | None,
        facts: PageFacts | None,
        error: str = "",
    ) -> Iterator[PlacementStatus]:
        expected = self._expected.get(response.meta.get(META_EXPECT, ""))
        if expected:
            outcome = page_outcome(
                str(response.meta[META_EXPECT]), response.url, response.status, page, facts,
                redirect_urls=response.meta.get("redirect_urls") or (),
                redirect_statuses=response.meta.get("redirect_reasons") or (),
                error=error, checked_at=utc_now(),
            )  # fmt: skip
            yield from outcome_rows(expected, outcome, page, self.placement_rules)

    def _placements_failed(self, request: Request, kind: str, message: str) -> Iterator[Any]:
        expected = self._expected.get(request.meta.get(META_EXPECT, ""))
        if expected:
            outcome = page_outcome(
                str(request.meta[META_EXPECT]), "", 0, None, None, error=kind, detail=message,
                checked_at=utc_now(),
            )  # fmt: skip
            yield from outcome_rows(expected, outcome)

    def _note_truncated(self, response: Response) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("linkspider/parse/truncated")
        host = split_host(response.url)
        if host not in self._truncated_hosts:
            self._truncated_hosts.add(host)
            self.logger.warning(
                f"{response.url}: {len(response.body)} bytes of HTML, only the first "
                f"{self.parse_max_bytes} parsed (LINKSPIDER_PARSE_MAX_BYTES); further cut "
                f"pages of {host} are only counted, see note=truncated in pages.csv"
            )

    def _page_item(self, response: Response, fetched_at: str, *, note: str = "") -> PageItem:
        """The ``pages`` row of a response that is not parsed (an HTTP error page)."""
        return page_record(
            _fetched(response, fetched_at), note=note, rendered=META_RENDERED_DOM in response.meta,
            render_reason=str(response.meta.get(META_RENDER_REASON, "")),
        )  # fmt: skip


def _fetched(response: Response, fetched_at: str) -> FetchedResponse:
    """The pure view of a Scrapy response that :mod:`linkspider.extract` reads."""
    return FetchedResponse(
        url=response.url,
        status=response.status,
        body=response.body,
        content_type=_header(response, b"Content-Type"),
        headers=_headers(response),
        fetched_at=fetched_at,
        depth=int(response.meta.get("depth", 0)),
        redirect_urls=response.meta.get("redirect_urls") or (),
        redirect_statuses=response.meta.get("redirect_reasons") or (),
    )


def _headers(response: Response) -> dict[str, list[str]]:
    """Lower-case header names to all their values (for robots and canonical headers)."""
    wanted = (b"x-robots-tag", b"link", b"content-language")
    return {
        name.decode("latin-1"): [v.decode("latin-1") for v in response.headers.getlist(name)]
        for name in wanted
        if name in response.headers
    }


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
