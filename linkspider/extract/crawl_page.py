"""What the crawl keeps of one parsed response, small enough to cross a process boundary.

The jobs an extraction process (:mod:`linkspider.offload`) does for the crawl are here, as
plain data that pickles: :class:`PageJob` (extract a response, :func:`crawl_page`) and
:class:`RenderCheck` (the ``render=auto`` check of a raw page).

:func:`extract_fetched` returns the parse tree with the rows; the live crawl only needs
the rows, the ``pages`` row, whether the HTML was cut and the same-site links to follow.
:class:`CrawledPage` is that, plain data (it pickles), so the spider can have it made in
an extraction process (``LINKSPIDER_EXTRACT_PROCESSES``) or in its own. Pure: no Scrapy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from linkspider.config.targets import TargetSet
from linkspider.core.items import BacklinkItem, PageItem
from linkspider.extract.client_rendered import RenderSignals, client_rendered
from linkspider.extract.fetched_page import (
    DEFAULT_PARSE_MAX_BYTES,
    FetchedPage,
    FetchedResponse,
    extract_fetched,
)
from linkspider.extract.follow import same_site_links
from linkspider.extract.placement import PlacementRule


@dataclass(frozen=True)
class CrawlExtraction:
    """What every page of a crawl is extracted with (sent once to an extraction process)."""

    targets: TargetSet
    rules: Sequence[PlacementRule] = ()
    max_bytes: int = DEFAULT_PARSE_MAX_BYTES
    follow_links: bool = True


@dataclass(frozen=True)
class PageJob:
    """One response to extract: the response, and the DOM a browser built from it."""

    response: FetchedResponse
    dom: tuple[bytes, str, str] | None = None
    rendered: bool = False
    render_reason: str = ""


@dataclass(frozen=True)
class RenderCheck:
    """Does this raw HTML look client-rendered (``render=auto``)? See
    :func:`linkspider.extract.client_rendered.client_rendered`."""

    body: bytes
    content_type: str | None = None
    max_bytes: int | None = None

    def run(self) -> RenderSignals:
        return client_rendered(self.body, self.content_type, self.max_bytes)


@dataclass
class CrawledPage:
    """A page's backlink rows, its ``pages`` row, and the same-site URLs it links to
    (the raw HTML's, then the rendered DOM's; empty when links are not followed)."""

    rows: list[BacklinkItem]
    record: PageItem
    truncated: bool = False
    follow: list[str] = field(default_factory=list)


def crawl_page(job: PageJob, setup: CrawlExtraction) -> CrawledPage:
    """Extract ``job`` (see :func:`extract_fetched`) and keep what the crawl needs."""
    result = extract_fetched(
        job.response, setup.targets, setup.rules, setup.max_bytes, dom=job.dom,
        rendered=job.rendered, render_reason=job.render_reason,
    )  # fmt: skip
    return crawled(result, setup.follow_links)


def crawled(result: FetchedPage, follow_links: bool) -> CrawledPage:
    """The part of ``result`` the crawl keeps (drops the parse trees)."""
    page, dom = result.page, result.dom
    if page is None:
        return CrawledPage(result.rows, result.record)
    follow: list[str] = []
    if follow_links:
        follow = same_site_links(page) + (same_site_links(dom) if dom is not None else [])
    return CrawledPage(result.rows, result.record, page.truncated, follow)
